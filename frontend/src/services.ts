// The app's single instances: the store, the REST client, the session keeper, the user
// connection, message search and the desktop notifications.
import { Api } from "./realtime/api";
import type { SocketLike } from "./realtime/client";
import { systemClock } from "./realtime/clock";
import { UserConnection } from "./realtime/connection";
import { roomDisplayName } from "./realtime/names";
import { DesktopNotifications, activityNotice, browserNotifications } from "./realtime/notify";
import type { RoomSummary } from "./realtime/protocol";
import { MessageSearch } from "./realtime/search";
import { SessionKeeper } from "./realtime/session";
import { SESSION_KEY, Store, type KeyValueStorage } from "./realtime/store";
import { navigate, roomPath } from "./router";

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
  search.reset();
  store.signOut();
  if (refreshToken) api.logout(refreshToken).catch(() => undefined);
}

export function socketUrl(token: string): string {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}/ws?${new URLSearchParams({ token })}`;
}

export const notifications = new DesktopNotifications(browserNotifications(), browserStorage());

function notifyOfActivity(before: RoomSummary | undefined, after: RoomSummary): void {
  const { session, dmPeers } = store.getState();
  if (session === null) return;
  const notice = activityNotice(before, after, {
    myId: session.user.id,
    hidden: document.visibilityState === "hidden",
    roomName: roomDisplayName(after, session.user, dmPeers),
  });
  if (notice !== null) notifications.notify(notice, (roomId) => navigate(roomPath(roomId)));
}

/** The one socket of this tab (SPEC §4b): every room, the sidebar's counts, the open room's messages. */
export const connection = new UserConnection({
  store,
  getToken: () => store.getState().session?.token ?? null,
  socketUrl,
  openSocket: (url) => new WebSocket(url) as unknown as SocketLike,
  fetchPage: (id, page) => api.messages(id, page),
  fetchEvents: (id, afterSeq) => api.events(id, afterSeq),
  fetchMembers: (id) => api.members(id),
  onAuthExpired: (reason) => store.expireSession(reason),
  renewToken: () => keeper.renew(),
  onActivity: notifyOfActivity,
  isOnline: () => navigator.onLine,
});

/** Keep the connection open while signed in, and follow the browser's network state. */
export function stayConnected(): () => void {
  connection.start();
  const online = () => connection.setNetwork(true);
  const offline = () => connection.setNetwork(false);
  window.addEventListener("online", online);
  window.addEventListener("offline", offline);
  return () => {
    window.removeEventListener("online", online);
    window.removeEventListener("offline", offline);
    connection.stop();
  };
}

/** The search panel's queries (GET /api/search), as the user types. */
export const search = new MessageSearch({
  store,
  fetch: (query, signal) => api.search(query, signal),
  clock: systemClock,
});

const peersLoading = new Set<string>();

/** Who the other person of a DM is, asked once per room (DMs are named after them). */
export function loadDmPeer(roomId: string): void {
  const { session, dmPeers } = store.getState();
  if (session === null || roomId in dmPeers || peersLoading.has(roomId)) return;
  peersLoading.add(roomId);
  api
    .members(roomId)
    .then(
      (members) => {
        const peer = members.find((m) => m.user_id !== session.user.id) ?? members[0];
        if (peer === undefined || store.getState().session?.user.id !== session.user.id) return;
        store.setDmPeer(roomId, { id: peer.user_id, username: peer.username, display_name: peer.display_name, created_at: "" });
      },
      () => undefined, // named after the username until the next try
    )
    .finally(() => peersLoading.delete(roomId));
}
