// A UserConnection with one open room, wired to a fake clock, fake sockets and scripted REST
// pages, for the connection and room tests.
import { vi } from "vitest";
import type { Member, MessagePage } from "./api";
import { UserConnection } from "./connection";
import type { EventPage, Message, RoomSummary } from "./protocol";
import { Store } from "./store";
import { FakeClock, FakeSocket } from "./testing";

export const ME = { id: "u-me", username: "me" };
export const ROOM = "room-1";

export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

export function listing(id: string, extra: Partial<RoomSummary> = {}): RoomSummary {
  return {
    id,
    name: id,
    description: "",
    is_private: false,
    kind: "room",
    created_by: "u-owner",
    created_at: "2024-01-01T00:00:00Z",
    role: "member",
    last_seq: 0,
    read_seq: 0,
    unread_count: 0,
    mention_count: 0,
    last_message: null,
    ...extra,
  };
}

export function setup(
  options: {
    pages?: MessagePage[];
    events?: EventPage[];
    members?: Member[];
    rooms?: RoomSummary[];
    online?: () => boolean;
    token?: string | null;
    renewToken?: () => Promise<string | null>;
    /** Open no room at first (`t.open(roomId)` opens one). */
    noRoom?: boolean;
  } = {},
) {
  const clock = new FakeClock();
  const store = new Store(null, () => clock.now());
  const sockets: FakeSocket[] = [];
  const pages = [...(options.pages ?? [])];
  const fetchPage = vi.fn(async (_room: string, _page: { before?: number; after?: number; limit?: number }) => {
    const next = pages.shift();
    if (!next) throw new Error("no page");
    return next;
  });
  const eventPages = [...(options.events ?? [])];
  const fetchEvents = vi.fn(async (_room: string, _after: number) => {
    const next = eventPages.shift();
    if (!next) throw new Error("no events page");
    return next;
  });
  const fetchMembers = vi.fn(async (_room: string) => options.members ?? []);
  const onAuthExpired = vi.fn();
  const onActivity = vi.fn();
  let token = options.token === undefined ? "tok" : options.token;
  const renewToken = vi.fn(async () => {
    const next = await (options.renewToken ?? (async () => null))();
    if (next !== null) token = next;
    return next;
  });
  // A renewal lands in the store's session; the connection hears of it from the store.
  const setToken = (next: string) => {
    token = next;
    store.setNotice(`token ${next}`);
  };
  const connection = new UserConnection({
    store,
    getToken: () => token,
    socketUrl: (tok) => `ws://test/ws?token=${tok}`,
    openSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    fetchPage,
    fetchEvents,
    fetchMembers,
    onAuthExpired,
    onActivity,
    renewToken,
    clock,
    random: () => 0.5,
    isOnline: options.online ?? (() => true),
  });
  const open = (roomId: string) => connection.openRoom(roomId);
  const client = options.noRoom ? null : open(ROOM);
  const start = () => connection.start();
  const room = (roomId = ROOM) => store.room(roomId);
  const last = () => {
    const socket = sockets.at(-1);
    if (!socket) throw new Error("no socket opened");
    return socket;
  };
  const greeted = new WeakSet<FakeSocket>();
  /** The server's `ready` on the newest socket, once per socket. */
  const ready = (rooms: RoomSummary[] = options.rooms ?? []) => {
    const socket = last();
    if (greeted.has(socket)) return;
    greeted.add(socket);
    socket.receive("ready", { user: { ...ME, display_name: ME.username, created_at: "" }, rooms });
  };
  /** The subscribes of a room on the newest socket (after its `ready`). */
  const subscribes = (roomId = ROOM) => {
    ready();
    return last()
      .sentOf("subscribe")
      .filter((d) => d.room_id === roomId);
  };
  /** The since_seq of the room's newest subscribe: null when it asked for the recent messages. */
  const since = (roomId = ROOM) => {
    const sent = subscribes(roomId).at(-1);
    if (!sent) throw new Error(`no subscribe for ${roomId}`);
    return typeof sent.since_seq === "number" ? sent.since_seq : null;
  };
  /** `ready` (if not yet) then `subscribed` for the room. */
  const connect = (recent: Message[] = [], extra: Record<string, unknown> = {}, roomId = ROOM) => {
    ready();
    last().receive("subscribed", {
      room_id: roomId,
      user: ME,
      online_users: [{ user_id: ME.id, username: ME.username }],
      recent_messages: recent,
      last_seq: recent.at(-1)?.seq ?? 0,
      ...extra,
    });
  };
  /** A room frame of the server for the room, as the user connection carries it (with room_id). */
  const receive = (type: string, data: object, roomId = ROOM) =>
    last().receive(type, { ...data, room_id: roomId });
  /** What was sent for the room (room_id stripped, as the room frame of SPEC §4 reads). */
  const sentOf = (type: string, roomId = ROOM) =>
    last()
      .sentOf(type)
      .filter((d) => d.room_id === roomId)
      .map(({ room_id: _roomId, ...data }) => data);
  return {
    clock,
    store,
    sockets,
    connection,
    get client() {
      if (client === null) throw new Error("no room opened");
      return client;
    },
    open,
    start,
    room,
    last,
    ready,
    subscribes,
    since,
    connect,
    receive,
    sentOf,
    fetchPage,
    fetchEvents,
    fetchMembers,
    onAuthExpired,
    onActivity,
    renewToken,
    setToken,
  };
}

export const seqs = (list: { seq: number }[]) => list.map((m) => m.seq);
export const newMessageEvent = (m: Message) => ({ seq: m.seq, type: "new_message" as const, data: { message: m } });
