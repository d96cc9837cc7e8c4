// The user connection (SPEC §4b): one socket for every room, subscriptions that follow the
// room on screen, re-subscription with since_seq after a drop, and the live room list.
import { describe, expect, it } from "vitest";
import { ME, flush, listing, seqs, setup } from "./harness";
import type { Member } from "./api";
import { roomDisplayName } from "./names";
import type { Message, MessageUpdated, RoomSummary } from "./protocol";
import { message } from "./testing";

const BOB = { user_id: "u-bob", username: "bob" };
const edited = (m: Message, content: string): Message => ({ ...m, content, edited_at: "2024-01-01T13:00:00Z" });
const change = (seq: number, msg: Message): MessageUpdated => ({ seq, change: "edited", actor: BOB, message: msg });
const inRoom = (roomId: string, seq: number, extra: Partial<Message> = {}) =>
  message(seq, "u-bob", { id: `${roomId}-${seq}`, room_id: roomId, ...extra });

describe("one socket for every room", () => {
  it("subscribes after ready, and switching rooms re-subscribes without a reconnect", () => {
    const t = setup();
    t.start();
    expect(t.last().url).toBe("ws://test/ws?token=tok");
    expect(t.last().sentOf("subscribe")).toEqual([]); // not before `ready`
    t.ready([listing("room-1"), listing("room-2")]);
    expect(t.last().sentOf("subscribe")).toEqual([{ room_id: "room-1" }]);
    t.connect([message(1)]);
    expect(t.room().status).toEqual({ kind: "live" });

    t.connection.closeRoom(t.client);
    const other = t.open("room-2");
    expect(t.last().sentOf("unsubscribe")).toEqual([{ room_id: "room-1" }]);
    expect(t.subscribes("room-2")).toEqual([{ room_id: "room-2" }]);
    t.connect([inRoom("room-2", 1)], {}, "room-2");
    expect(other.isLive).toBe(true);
    expect(t.sockets).toHaveLength(1);

    // coming back: only what changed since the room was left
    t.connection.closeRoom(other);
    t.open("room-1");
    expect(t.since("room-1")).toBe(1);
    expect(t.sockets).toHaveLength(1);
  });

  it("sends room frames with the room's id, and routes the server's by theirs", () => {
    const t = setup();
    t.start();
    t.connect([message(1)]);
    t.open("room-2");
    t.connect([inRoom("room-2", 1)], {}, "room-2");
    const clientId = t.client.send("hello room 1");
    expect(t.last().sentOf("send_message")).toEqual([{ content: "hello room 1", client_id: clientId, room_id: "room-1" }]);
    t.receive("new_message", { message: inRoom("room-2", 2) }, "room-2");
    t.receive("user_typing", BOB, "room-2");
    expect(seqs(t.room("room-2").messages)).toEqual([1, 2]);
    expect(t.room("room-2").typing).toEqual([BOB]);
    expect(seqs(t.room("room-1").messages)).toEqual([1]);
    expect(t.room("room-1").typing).toEqual([]);
  });

  it("ignores frames of a room it no longer follows", () => {
    const t = setup();
    t.start();
    t.connect([message(1)]);
    t.connection.closeRoom(t.client);
    t.receive("new_message", { message: message(2) }); // was on its way before the unsubscribe
    expect(seqs(t.room().messages)).toEqual([1]);
  });

  it("an answer to a subscription already given up is not taken for the current one", () => {
    const t = setup();
    t.start();
    t.ready();
    const first = t.client;
    t.connection.closeRoom(first); // left before `subscribed` came (or React's double mount)
    const again = t.open("room-1");
    expect(t.last().sent.map((f) => f.type)).toEqual(["subscribe", "unsubscribe", "subscribe"]);
    t.connect([message(1)]); // answers the first subscribe
    expect(again.isLive).toBe(false);
    t.receive("new_message", { message: message(2) }); // of that first subscription: covered by the next answer
    t.last().receive("unsubscribed", { room_id: "room-1" });
    t.connect([message(1), message(2)]);
    expect(again.isLive).toBe(true);
    expect(seqs(t.room().messages)).toEqual([1, 2]);
  });

  it("does not send typing or messages of a room that is not subscribed yet", () => {
    const t = setup();
    t.start();
    t.ready();
    t.client.input("hel");
    const clientId = t.client.send("too early");
    expect(t.sentOf("typing_start")).toEqual([]);
    expect(t.sentOf("send_message")).toEqual([]);
    t.connect([]);
    expect(t.sentOf("send_message")).toEqual([{ content: "too early", client_id: clientId }]);
  });
});

describe("reconnect re-subscribes every open room with its since_seq", () => {
  it("recovers each room exactly: messages and changes, nothing twice", () => {
    const t = setup();
    t.open("room-2");
    t.start();
    t.connect([message(1), message(2)]);
    t.connect([inRoom("room-2", 1), inRoom("room-2", 2), inRoom("room-2", 3)], {}, "room-2");
    t.receive("new_message", { message: inRoom("room-2", 4) }, "room-2");
    t.last().serverClose(1006);
    expect(t.room().status.kind).toBe("reconnecting");
    expect(t.room("room-2").status.kind).toBe("reconnecting");

    t.clock.advance(1_000);
    expect(t.sockets).toHaveLength(2);
    expect(t.since("room-1")).toBe(2);
    expect(t.since("room-2")).toBe(4);
    t.connect([message(3)], { recovered: true, last_seq: 4, changes: [change(4, edited(message(1), "edited away"))] });
    t.connect([inRoom("room-2", 4), inRoom("room-2", 5)], { recovered: true, last_seq: 5 }, "room-2");
    expect(t.room().messages.map((m) => m.content)).toEqual(["edited away", "message 2", "message 3"]);
    expect(seqs(t.room("room-2").messages)).toEqual([1, 2, 3, 4, 5]);
    expect(t.room().lastSeq).toBe(4);
    expect(t.room("room-2").lastSeq).toBe(5);
  });

  it("re-subscribes after the server restarts (1001) and after a silent drop", () => {
    const t = setup();
    t.start();
    t.connect([message(1)]);
    t.last().serverClose(1001, "server shutting down");
    t.clock.advance(1_000);
    expect(t.sockets).toHaveLength(2);
    expect(t.since()).toBe(1);
    t.connect([], { recovered: true, last_seq: 1 });
    t.clock.advance(25_000 + 10_000); // no pong: the watchdog calls the socket dead
    expect(t.room().status.kind).toBe("reconnecting");
    t.clock.advance(1_000);
    expect(t.sockets).toHaveLength(3);
    expect(t.since()).toBe(1);
  });

  it("a renewed token reaches the one socket as `auth`, whichever rooms are open", () => {
    const t = setup();
    t.open("room-2");
    t.start();
    t.connect();
    t.connect([], {}, "room-2");
    t.setToken("tok-2");
    expect(t.last().sentOf("auth")).toEqual([{ token: "tok-2" }]);
    expect(t.sockets).toHaveLength(1);
  });
});

describe("the room list, live", () => {
  it("takes the rooms and their counts from ready, on every connect", () => {
    const t = setup({ noRoom: true });
    t.start();
    t.ready([listing("room-1", { unread_count: 3, mention_count: 1 })]);
    expect(t.store.getState().rooms.map((r) => [r.id, r.unread_count, r.mention_count])).toEqual([["room-1", 3, 1]]);
    expect(t.store.getState().roomsLoaded).toBe(true);
    t.last().serverClose(1006);
    t.clock.advance(60_000);
    t.ready([listing("room-1"), listing("room-2", { unread_count: 1 })]);
    expect(t.store.getState().rooms.map((r) => [r.id, r.unread_count])).toEqual([
      ["room-1", 0],
      ["room-2", 1],
    ]);
  });

  it("updates a badge from room_activity without a subscription", () => {
    const t = setup({ noRoom: true });
    t.start();
    t.ready([listing("room-2", { last_seq: 4 })]);
    const newest = inRoom("room-2", 5, { content: "@me look" });
    t.last().receive("room_activity", {
      room_id: "room-2",
      last_seq: 5,
      unread_count: 1,
      mention_count: 1,
      last_message: newest,
    });
    const [room] = t.store.getState().rooms;
    expect(room).toMatchObject({ unread_count: 1, mention_count: 1, last_seq: 5, last_message: newest });
    expect(t.onActivity).toHaveBeenCalledOnce();
    const [before, after] = t.onActivity.mock.calls[0] ?? [];
    expect(before).toMatchObject({ unread_count: 0 });
    expect(after).toMatchObject({ unread_count: 1, mention_count: 1 });
    expect(t.last().sentOf("subscribe")).toEqual([]);
  });

  it("a read on another device clears the badge (read_marker)", () => {
    const t = setup({ noRoom: true });
    t.start();
    t.ready([listing("room-2", { last_seq: 4, read_seq: 1, unread_count: 3, mention_count: 1 })]);
    t.last().receive("read_marker", { room_id: "room-2", read_seq: 4, unread_count: 0, mention_count: 0 });
    expect(t.store.getState().rooms[0]).toMatchObject({ read_seq: 4, unread_count: 0, mention_count: 0 });
  });

  it("reading the open room sends mark_read and clears its badge at once", () => {
    const t = setup({ rooms: [listing("room-1", { last_seq: 2, unread_count: 2 })] });
    t.start();
    expect(t.client.markRead(2)).toBe(false); // no socket yet: nothing to say
    t.connect([message(1), message(2)]);
    expect(t.client.markRead(2)).toBe(true);
    expect(t.last().sentOf("mark_read")).toEqual([{ room_id: "room-1", seq: 2 }]);
    expect(t.store.getState().rooms[0]).toMatchObject({ read_seq: 2, unread_count: 0 });
  });

  it("a room appears on room_added and vanishes on room_removed", () => {
    const t = setup({ noRoom: true });
    t.start();
    t.ready([listing("room-1")]);
    t.last().receive("room_added", { room: listing("dm-1", { kind: "dm", name: "bob, me", unread_count: 1 }) });
    expect(t.store.getState().rooms.map((r) => r.id)).toEqual(["room-1", "dm-1"]);
    t.last().receive("room_removed", { room_id: "room-1", reason: "removed" });
    expect(t.store.getState().rooms.map((r) => r.id)).toEqual(["dm-1"]);
  });

  it("the open room removed: its subscription ends with a reason, and is not asked for again", () => {
    const t = setup({ rooms: [listing("room-1")] });
    t.start();
    t.connect([message(1)]);
    t.last().receive("room_removed", { room_id: "room-1", reason: "deleted" });
    expect(t.room().removed).toBe("deleted");
    expect(t.room().status).toEqual({ kind: "offline", reason: "This room was deleted" });
    expect(t.client.send("anyone?")).not.toBeNull();
    expect(t.sentOf("send_message")).toEqual([]);
    t.receive("new_message", { message: message(2) });
    expect(seqs(t.room().messages)).toEqual([1]);
    t.last().serverClose(1006);
    t.clock.advance(60_000);
    t.ready([]);
    expect(t.subscribes()).toEqual([]);
  });
});

describe("room settings and deletion, live", () => {
  const settings = (room: RoomSummary, extra: Partial<RoomSummary>) => {
    const { id, name, description, is_private, kind, created_by, created_at } = { ...room, ...extra };
    return { id, name, description, is_private, kind, created_by, created_at };
  };

  it("room_updated renames a watched room in the list, without a subscription", () => {
    const alpha = listing("alpha", { unread_count: 2, last_seq: 3 });
    const t = setup({ noRoom: true });
    t.start();
    t.ready([alpha, listing("beta")]);
    t.receive("room_updated", { room: settings(alpha, { name: "alpha-renamed", description: "new topic" }) }, "alpha");
    expect(t.store.getState().rooms.map((r) => [r.id, r.name, r.description])).toEqual([
      ["alpha", "alpha-renamed", "new topic"],
      ["beta", "beta", ""],
    ]);
    expect(t.store.getState().rooms[0]).toMatchObject({ unread_count: 2, last_seq: 3 }); // the counts stay
    expect(t.last().sentOf("subscribe")).toEqual([]);
  });

  it("room_updated on the open room renames it too, and its messages stay", () => {
    const t = setup({ rooms: [listing("room-1"), listing("room-2")] });
    t.start();
    t.connect([message(1)]);
    const before = t.store.getState().rooms[0];
    if (before === undefined) throw new Error("no room");
    t.receive("room_updated", { room: settings(before, { name: "renamed", is_private: true }) });
    expect(t.store.getState().rooms[0]).toMatchObject({ name: "renamed", is_private: true });
    expect(t.store.getState().rooms[1]?.name).toBe("room-2");
    expect(seqs(t.room().messages)).toEqual([1]);
    expect(t.client.isLive).toBe(true);
  });

  it("a room deleted while only watched vanishes from the list; the open one stays subscribed", () => {
    const t = setup({ rooms: [listing("room-1"), listing("alpha")] });
    t.start();
    t.connect([message(1)]);
    t.last().receive("room_removed", { room_id: "alpha", reason: "deleted" });
    expect(t.store.getState().rooms.map((r) => r.id)).toEqual(["room-1"]);
    expect(t.room("alpha").removed).toBeNull();
    expect(t.room().removed).toBeNull();
    expect(t.client.isLive).toBe(true);
    t.receive("room_updated", { room: settings(listing("alpha"), { name: "too late" }) }, "alpha");
    expect(t.store.getState().rooms.map((r) => r.name)).toEqual(["room-1"]);
  });

  it("the open room deleted: it leaves the list and says why", () => {
    const t = setup({ rooms: [listing("room-1"), listing("room-2")] });
    t.start();
    t.connect([message(1)]);
    t.last().receive("room_removed", { room_id: "room-1", reason: "deleted" });
    expect(t.store.getState().rooms.map((r) => r.id)).toEqual(["room-2"]);
    expect(t.room().removed).toBe("deleted");
    expect(t.client.isLive).toBe(false);
  });

  it("a watched DM follows its person's new display name, learning who they are if need be", () => {
    const t = setup({ noRoom: true });
    t.start();
    t.ready([listing("dm-bob", { kind: "dm", name: "bob, me" }), listing("dm-cat", { kind: "dm", name: "cat, me" })]);
    expect(t.store.getState().dmPeers).toEqual({});
    t.store.setDmPeer("dm-bob", { id: "u-bob", username: "bob", display_name: "bob", created_at: "" });
    t.receive("user_updated", { user: { id: "u-bob", username: "bob", display_name: "Robert", created_at: "" } }, "dm-bob");
    const cat = { id: "u-cat", username: "cat", display_name: "Cat Stevens", created_at: "" };
    t.receive("user_updated", { user: cat }, "dm-cat");
    // our own new name, announced in the DM, does not make us its other person
    t.receive("user_updated", { user: { ...ME, display_name: "Me Myself", created_at: "" } }, "dm-bob");
    const { dmPeers, rooms } = t.store.getState();
    expect(dmPeers["dm-bob"]?.display_name).toBe("Robert");
    expect(dmPeers["dm-cat"]).toEqual(cat);
    const peers = rooms.map((room) => roomDisplayName(room, ME, dmPeers));
    expect(peers).toEqual(["Robert", "Cat Stevens"]);
    expect(t.last().sentOf("subscribe")).toEqual([]);
  });

  it("our role in a watched room follows member_changed (who may change its settings)", () => {
    const t = setup({ noRoom: true });
    t.start();
    t.ready([listing("alpha", { role: "member" })]);
    t.receive("member_changed", { user_id: "u-bob", username: "bob", change: "role", role: "admin" }, "alpha");
    expect(t.store.getState().rooms[0]?.role).toBe("member");
    t.receive("member_changed", { user_id: ME.id, username: ME.username, change: "role", role: "admin" }, "alpha");
    expect(t.store.getState().rooms[0]?.role).toBe("admin");
  });
});

describe("member panels stay live", () => {
  const member = (id: string, role = "member"): Member => ({
    user_id: `u-${id}`,
    username: id,
    display_name: id,
    role,
    online: false,
  });

  it("loads the members on subscribe, then follows member_changed and user_updated", async () => {
    const t = setup({ members: [member("me", "owner"), member("bob")] });
    t.start();
    t.connect();
    await flush();
    expect(t.room().members.map((m) => m.username)).toEqual(["me", "bob"]);
    t.receive("member_changed", { user_id: "u-bob", username: "bob", change: "role", role: "admin" });
    expect(t.room().members.find((m) => m.username === "bob")?.role).toBe("admin");
    t.receive("user_updated", { user: { id: "u-bob", username: "bob", display_name: "Bob B.", created_at: "" } });
    expect(t.room().members.find((m) => m.username === "bob")?.display_name).toBe("Bob B.");
    t.receive("member_changed", { user_id: "u-bob", username: "bob", change: "removed", role: null });
    expect(t.room().members.map((m) => m.username)).toEqual(["me"]);
    t.fetchMembers.mockResolvedValueOnce([member("me", "owner"), { ...member("cat"), display_name: "Cat" }]);
    t.receive("member_changed", { user_id: "u-cat", username: "cat", change: "added", role: "member" });
    expect(t.room().members.map((m) => m.username)).toEqual(["me", "cat"]);
    await flush();
    expect(t.room().members.find((m) => m.username === "cat")?.display_name).toBe("Cat");
  });

  it("a new display name renames the DM after its person, and our own name", () => {
    const t = setup();
    t.store.signIn({
      token: "tok",
      expiresAt: t.clock.now() + 60_000,
      renewAt: t.clock.now() + 50_000,
      refreshToken: "r",
      user: { id: ME.id, username: ME.username, display_name: "me", created_at: "" },
    });
    t.store.setDmPeer("room-1", { id: "u-bob", username: "bob", display_name: "bob", created_at: "" });
    t.start();
    t.connect();
    t.receive("user_updated", { user: { id: "u-bob", username: "bob", display_name: "Robert", created_at: "" } });
    expect(t.store.getState().dmPeers["room-1"]?.display_name).toBe("Robert");
    t.receive("user_updated", { user: { id: ME.id, username: ME.username, display_name: "Me Myself", created_at: "" } });
    expect(t.store.getState().session?.user.display_name).toBe("Me Myself");
  });
});
