// The app's single instances: the store, the REST client, the session keeper, and a factory
// for room connections.
import { Api } from "./realtime/api";
import { RoomClient, type SocketLike } from "./realtime/client";
import { SessionKeeper } from "./realtime/session";
import { SESSION_KEY, Store, type KeyValueStorage } from "./realtime/store";

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

export const api: Api = new Api({
  getToken: () => store.getState().session?.token ?? null,
  onUnauthorized: () => store.expireSession(SESSION_EXPIRED),
  renewToken: () => keeper.renew(),
});

export const keeper: SessionKeeper = new SessionKeeper({ store, refresh: (refreshToken) => api.refresh(refreshToken) });

/** Keep the session alive: renew before expiry, after a sleep, and take other tabs' renewals. */
export function keepSignedIn(): () => void {
  keeper.start();
  const onVisible = () => {
    if (document.visibilityState === "visible") keeper.renewIfDue();
  };
  const onStorage = (event: StorageEvent) => {
    if (event.key === SESSION_KEY) store.adoptStoredSession();
  };
  document.addEventListener("visibilitychange", onVisible);
  window.addEventListener("online", onVisible);
  window.addEventListener("storage", onStorage);
  return () => {
    keeper.stop();
    document.removeEventListener("visibilitychange", onVisible);
    window.removeEventListener("online", onVisible);
    window.removeEventListener("storage", onStorage);
  };
}

/** Log out on purpose: this browser forgets the session, and the server ends it. */
export function signOut(): void {
  const refreshToken = store.getState().session?.refreshToken;
  store.signOut();
  if (refreshToken) api.logout(refreshToken).catch(() => undefined);
}

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
    fetchEvents: (id, afterSeq) => api.events(id, afterSeq),
    onAuthExpired: (reason) => store.expireSession(reason),
    renewToken: () => keeper.renew(),
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
