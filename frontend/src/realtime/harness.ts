// A RoomClient wired to a fake clock, fake sockets and scripted REST pages, for the client tests.
import { vi } from "vitest";
import type { MessagePage } from "./api";
import { RoomClient } from "./client";
import type { EventPage, Message } from "./protocol";
import { Store } from "./store";
import { FakeClock, FakeSocket } from "./testing";

export const ME = { id: "u-me", username: "me" };

export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

export function setup(
  options: {
    pages?: MessagePage[];
    events?: EventPage[];
    online?: () => boolean;
    token?: string | null;
    renewToken?: () => Promise<string | null>;
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
  const onAuthExpired = vi.fn();
  let token = options.token === undefined ? "tok" : options.token;
  const renewToken = vi.fn(async () => {
    const next = await (options.renewToken ?? (async () => null))();
    if (next !== null) token = next;
    return next;
  });
  // A renewal lands in the store's session; the client hears of it from the store.
  const setToken = (next: string) => {
    token = next;
    store.setNotice(`token ${next}`);
  };
  const client = new RoomClient({
    store,
    roomId: "room-1",
    getToken: () => token,
    socketUrl: (room, tok, since) =>
      `ws://test/ws/${room}?token=${tok}${since === null ? "" : `&since_seq=${since}`}`,
    openSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    fetchPage,
    fetchEvents,
    onAuthExpired,
    renewToken,
    clock,
    random: () => 0.5,
    isOnline: options.online ?? (() => true),
  });
  const room = () => store.room("room-1");
  const last = () => {
    const socket = sockets.at(-1);
    if (!socket) throw new Error("no socket opened");
    return socket;
  };
  const connect = (recent: Message[] = [], extra: Record<string, unknown> = {}) =>
    last().receive("connected", {
      room_id: "room-1",
      user: ME,
      online_users: [{ user_id: ME.id, username: ME.username }],
      recent_messages: recent,
      last_seq: recent.at(-1)?.seq ?? 0,
      ...extra,
    });
  return { clock, store, sockets, client, room, last, connect, fetchPage, fetchEvents, onAuthExpired, renewToken, setToken };
}

export const seqs = (list: { seq: number }[]) => list.map((m) => m.seq);
export const newMessageEvent = (m: Message) => ({ seq: m.seq, type: "new_message" as const, data: { message: m } });
