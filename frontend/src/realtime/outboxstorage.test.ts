// The outbox kept in the browser: a reload or a crash sends what was unconfirmed again, with
// the same client_id, and what the server already committed is settled, not sent twice.
import { describe, expect, it } from "vitest";
import { ME, ROOM, listing, setup } from "./harness";
import { SavedOutbox, deliverPending, mergeSaved, outboxKey, withRestored } from "./outboxstorage";
import type { OutgoingMessage, Session } from "./store";
import { MemoryStorage, message } from "./testing";

const session = (id = ME.id): Session => ({
  token: "tok",
  expiresAt: Date.now() + 60_000,
  renewAt: Date.now() + 50_000,
  refreshToken: "r",
  user: { id, username: ME.username, display_name: ME.username, created_at: "" },
});

/** One page load: a store, the saved outbox restored and followed, the socket started. */
function page(storage: MemoryStorage) {
  const t = setup({ noRoom: true, rooms: [listing(ROOM)] });
  t.store.signIn(session());
  const saved = new SavedOutbox(t.store, storage);
  saved.restore(ME.id);
  const stop = saved.follow(ME.id);
  t.start();
  return { t, saved, stop };
}

const entry = (client_id: string, created_at: number): OutgoingMessage => ({
  client_id,
  content: client_id,
  reply_to: null,
  state: "pending",
  error: null,
  retryable: true,
  created_at,
});

describe("the saved outbox", () => {
  it("after a reload, resends what the server never got and settles what it committed", () => {
    const storage = new MemoryStorage();
    const first = page(storage);
    const room = first.t.open(ROOM);
    first.t.connect([message(1)]);
    const committed = room.send("committed, its answer lost");
    first.t.last().serverClose(1006); // the socket drops before message_sent comes
    const unsent = room.send("written while offline");
    expect(first.t.room().outbox.map((m) => m.client_id)).toEqual([committed, unsent]);
    expect(JSON.parse(storage.getItem(outboxKey(ME.id)) ?? "{}")[ROOM]).toHaveLength(2);

    // the page reloads (or the tab crashed): a new store, the same browser storage
    first.stop();
    const second = page(storage);
    expect(second.t.room().outbox.map((m) => [m.client_id, m.state])).toEqual([
      [committed, "pending"],
      [unsent, "pending"],
    ]);
    second.t.open(ROOM);
    const stored = message(2, ME.id, { client_id: committed, content: "committed, its answer lost" });
    second.t.connect([message(1), stored]);
    // the committed one came back in `subscribed`: not sent again; the other goes with its client_id
    expect(second.t.sentOf("send_message")).toEqual([{ content: "written while offline", client_id: unsent }]);
    expect(second.t.room().outbox.map((m) => m.client_id)).toEqual([unsent]);
    second.t.receive("message_sent", {
      client_id: unsent,
      message: message(3, ME.id, { client_id: unsent, content: "written while offline" }),
    });
    expect(second.t.room().outbox).toEqual([]);
    expect(second.t.room().messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(storage.getItem(outboxKey(ME.id))).toBeNull();
  });

  it("after a reload, a room not on screen sends its pending messages, then is let go", () => {
    const OTHER = "room-2";
    const storage = new MemoryStorage();
    const rooms = [listing(ROOM), listing(OTHER)];
    const first = setup({ noRoom: true, rooms });
    first.store.signIn(session());
    const stopFirst = new SavedOutbox(first.store, storage).follow(ME.id);
    first.start();
    const other = first.open(OTHER);
    first.connect([], {}, OTHER);
    first.last().serverClose(1006);
    const unsent = other.send("written in room 2 while offline");
    stopFirst();

    // the page reloads on room 1: room 2 is held open on the socket until its message is sent
    const second = setup({ noRoom: true, rooms });
    second.store.signIn(session());
    const saved = new SavedOutbox(second.store, storage);
    const pending = saved.restore(ME.id);
    expect(pending).toEqual([OTHER]);
    const stopSaving = saved.follow(ME.id);
    second.start();
    const onScreen = second.open(ROOM);
    const stop = deliverPending(second.store, pending, (roomId) => {
      const client = second.connection.openRoom(roomId);
      return { release: () => second.connection.closeRoom(client), refused: () => client.subscription === "refused" };
    });
    expect(second.subscribes(OTHER)).toEqual([{ room_id: OTHER }]);
    second.connect([], {}, ROOM);
    second.connect([], {}, OTHER);
    expect(second.sentOf("send_message", OTHER)).toEqual([
      { content: "written in room 2 while offline", client_id: unsent },
    ]);
    second.receive(
      "message_sent",
      { client_id: unsent, message: message(1, ME.id, { client_id: unsent, room_id: OTHER }) },
      OTHER,
    );
    expect(second.room(OTHER).outbox).toEqual([]);
    // sent: room 2 is unsubscribed, the room on screen stays
    expect(second.last().sentOf("unsubscribe")).toEqual([{ room_id: OTHER }]);
    expect(onScreen.isLive).toBe(true);
    expect(storage.getItem(outboxKey(ME.id))).toBeNull();
    stop();
    stopSaving();
  });

  it("a room held by the screen and the outbox stays subscribed until both let go", () => {
    const t = setup({ noRoom: true, rooms: [listing(ROOM)] });
    t.start();
    const byScreen = t.open(ROOM);
    const byOutbox = t.connection.openRoom(ROOM);
    expect(byOutbox).toBe(byScreen);
    t.connect([]);
    t.connection.closeRoom(byOutbox);
    expect(t.last().sentOf("unsubscribe")).toEqual([]);
    expect(byScreen.isLive).toBe(true);
    t.connection.closeRoom(byScreen);
    expect(t.last().sentOf("unsubscribe")).toEqual([{ room_id: ROOM }]);
  });

  it("keeps each user's messages apart, through an expiry, and forgets them on logout", () => {
    const storage = new MemoryStorage();
    const { t, saved } = page(storage);
    t.store.updateRoom(ROOM, (r) => ({ ...r, outbox: [entry("c1", 1)] }));
    t.store.expireSession("expired"); // the store forgets its rooms; the saved messages stay
    expect(JSON.parse(storage.getItem(outboxKey(ME.id)) ?? "{}")).toEqual({ [ROOM]: [entry("c1", 1)] });

    const other = setup({ noRoom: true });
    other.store.signIn(session("u-other"));
    new SavedOutbox(other.store, storage).restore("u-other");
    expect(other.store.room(ROOM).outbox).toEqual([]);

    saved.clear(ME.id);
    expect(storage.getItem(outboxKey(ME.id))).toBeNull();
  });

  it("another tab's rooms are kept; a restored entry already on screen is not doubled", () => {
    const theirs = { "room-2": [entry("c2", 2)] };
    expect(mergeSaved({ ...theirs, [ROOM]: [entry("old", 1)] }, [ROOM], {})).toEqual(theirs);
    expect(mergeSaved(theirs, [ROOM], { [ROOM]: [entry("c1", 1)] })).toEqual({ ...theirs, [ROOM]: [entry("c1", 1)] });
    const onScreen = [entry("c3", 3)];
    expect(withRestored(onScreen, [entry("c3", 3)])).toBe(onScreen);
    expect(withRestored(onScreen, [entry("c1", 1), { junk: true } as unknown as OutgoingMessage])).toEqual([
      entry("c1", 1),
      entry("c3", 3),
    ]);
  });
});
