// The app's single instances: the store, the REST client, the session keeper, the user
// connection, message search and the desktop notifications.
import { QueryClient } from "@tanstack/react-query";
import { Api, ApiError } from "./realtime/api";
import type { SocketLike } from "./realtime/client";
import { systemClock } from "./realtime/clock";
import { UserConnection } from "./realtime/connection";
import { roomDisplayName } from "./realtime/names";
import { DesktopNotifications, activityNotice, browserNotifications } from "./realtime/notify";
import type { RoomSummary } from "./realtime/protocol";
import { SavedOutbox, deliverPending } from "./realtime/outboxstorage";
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

/** The unconfirmed messages of the signed-in user, kept across reloads (outboxstorage.ts). */
export const savedOutbox = new SavedOutbox(store, browserStorage());

/**
 * REST data that is not live on the socket (a room's details, public rooms, notifications):
 * cached per key, refetched when invalidated. A 4xx is an answer, not worth asking again.
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      refetchOnWindowFocus: false,
      retry: (failures, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && failures < 2,
    },
  },
});

export const QUERY = {
  room: (roomId: string) => ["room", roomId] as const,
  publicRooms: (q: string) => ["rooms", "public", q] as const,
  notifications: ["notifications"] as const,
};

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
  const { refreshToken, user } = store.getState().session ?? {};
  if (user) savedOutbox.clear(user.id);
  queryClient.clear();
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

/**
 * Mention notifications change when a room's mention count does (`room_activity`,
 * `read_marker`, reading a room here). They are written after the message's broadcast (SPEC
 * §6 never delays it), so the list is asked for again a moment later too.
 */
function followMentions(): () => void {
  let last: string | null = null;
  const timers = new Set<number>();
  const refresh = () => void queryClient.invalidateQueries({ queryKey: QUERY.notifications });
  const unsubscribe = store.subscribe(() => {
    const { rooms, roomsLoaded } = store.getState();
    if (!roomsLoaded) return;
    const counts = rooms.map((r) => `${r.id}:${r.mention_count}`).join(",");
    if (counts === last) return;
    const first = last === null;
    last = counts;
    if (first) return;
    refresh();
    for (const delay of [700, 2500]) {
      const timer = window.setTimeout(() => {
        timers.delete(timer);
        refresh();
      }, delay);
      timers.add(timer);
    }
  });
  return () => {
    unsubscribe();
    for (const timer of timers) window.clearTimeout(timer);
  };
}

/**
 * While signed in: the connection open, following the browser's network state; the user's
 * unconfirmed messages back from the last page load (sent in every room, not only the one on
 * screen) and kept from now on; mentions followed.
 */
export function stayConnected(): () => void {
  const userId = store.getState().session?.user.id;
  const pendingRooms = userId ? savedOutbox.restore(userId) : [];
  const stopSaving = userId ? savedOutbox.follow(userId) : () => undefined;
  const stopDelivering = deliverPending(store, pendingRooms, (roomId) => {
    const client = connection.openRoom(roomId);
    return {
      release: () => connection.closeRoom(client),
      refused: () => client.subscription === "refused" || client.subscription === "removed",
    };
  });
  const stopMentions = followMentions();
  connection.start();
  const online = () => connection.setNetwork(true);
  const offline = () => connection.setNetwork(false);
  window.addEventListener("online", online);
  window.addEventListener("offline", offline);
  return () => {
    window.removeEventListener("online", online);
    window.removeEventListener("offline", offline);
    stopDelivering();
    connection.stop();
    stopMentions();
    stopSaving();
    queryClient.clear(); // what was fetched for this user is not for the next one
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

/** Join a public room: in the room list at once (`room_added` brings its full listing right after). */
export async function joinRoom(roomId: string): Promise<void> {
  const room = await api.join(roomId);
  if (!store.getState().rooms.some((r) => r.id === room.id)) {
    store.upsertRoom({
      ...room,
      role: "member",
      last_seq: 0,
      read_seq: 0,
      unread_count: 0,
      mention_count: 0,
      last_message: null,
    });
  }
  void queryClient.invalidateQueries({ queryKey: ["rooms", "public"] });
}
