// The app's single instances: the store, the REST client, and a factory for room connections.
import { Api } from "./realtime/api";
import { RoomClient, type SocketLike } from "./realtime/client";
import { Store, type KeyValueStorage } from "./realtime/store";

function browserStorage(): KeyValueStorage | null {
  try {
    const storage = window.localStorage;
    storage.getItem("roomcast.probe");
    return storage;
  } catch {
    return null;
  }
}

export const store = new Store(browserStorage());

export const SESSION_EXPIRED = "Your session expired. Log in again: your draft is kept.";

export const api = new Api(
  () => store.getState().session?.token ?? null,
  () => store.expireSession(SESSION_EXPIRED),
);

export function socketUrl(roomId: string, token: string, sinceSeq: number | null): string {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const params = new URLSearchParams({ token });
  if (sinceSeq !== null) params.set("since_seq", String(sinceSeq));
  return `${scheme}//${window.location.host}/ws/${encodeURIComponent(roomId)}?${params}`;
}

export function createRoomClient(roomId: string): RoomClient {
  return new RoomClient({
    store,
    roomId,
    getToken: () => store.getState().session?.token ?? null,
    socketUrl,
    openSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    fetchPage: (id, page) => api.messages(id, page),
    onAuthExpired: (reason) => store.expireSession(reason),
    isOnline: () => navigator.onLine,
  });
}

export async function refreshRooms(): Promise<void> {
  if (store.getState().session === null) return;
  try {
    store.setRooms(await api.rooms());
  } catch {
    // offline or expired: the status indicator and the login screen say so
  }
}
