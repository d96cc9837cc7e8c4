// Jumping to a message far from the live end (a search result, a reply's original): the window
// around it, paged both ways, joining the live messages without a hole or a message twice.
import { describe, expect, it } from "vitest";
import type { MessagePage } from "./api";
import { flush, seqs, setup } from "./harness";
import type { Message, MessageUpdated } from "./protocol";
import { message, messagePage } from "./testing";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A room with messages 1…count on the server; the subscription's snapshot holds the last 50. */
function room(count = 200) {
  const server: Message[] = range(1, count).map((seq) => message(seq));
  const t = setup();
  t.fetchPage.mockImplementation(async (_room, page) => messagePage(server, page));
  t.start();
  const subscribe = () => t.connect(server.slice(-50));
  /** A new message: stored on the server, then delivered live. */
  const post = (seq: number) => {
    const m = message(seq);
    server.push(m);
    t.receive("new_message", { message: m });
    return m;
  };
  return { t, server, subscribe, post };
}

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("jump to a message", () => {
  it("reads the page before and the page after it, and shows that window apart from the live run", async () => {
    const { t, subscribe } = room();
    subscribe();
    await t.client.jumpTo(40);
    expect(t.fetchPage.mock.calls.map((c) => c[1])).toEqual([
      { before: 41, limit: 25 },
      { after: 40, limit: 25 },
    ]);
    expect(seqs(t.room().jump?.messages ?? [])).toEqual(range(16, 65));
    expect(seqs(t.room().messages)).toEqual(range(151, 200)); // the live run goes on as it was
    expect(t.room().focus?.seq).toBe(40);
  });

  it("pages newer with after_seq until the window meets the live run, then is one run, each message once", async () => {
    const { t, subscribe } = room();
    subscribe();
    await t.client.jumpTo(40);
    await t.client.loadNewer();
    expect(t.fetchPage.mock.calls.at(-1)?.[1]).toEqual({ after: 65, limit: 50 });
    expect(t.room().jump?.messages.at(-1)?.seq).toBe(115);
    await t.client.loadNewer();
    expect(t.room().jump).toBeNull();
    expect(seqs(t.room().messages)).toEqual(range(16, 200));
  });

  it("pages older with before_seq inside the window", async () => {
    const { t, subscribe } = room();
    subscribe();
    await t.client.jumpTo(40);
    await t.client.loadOlder();
    expect(t.fetchPage.mock.calls.at(-1)?.[1]).toEqual({ before: 16, limit: 50 });
    expect(seqs(t.room().jump?.messages ?? [])).toEqual(range(1, 65));
    expect(t.room().loadingOlder).toBe(false);
  });

  it("keeps live messages that arrive meanwhile in the live run: none lost or doubled once joined", async () => {
    const { t, server, subscribe, post } = room();
    subscribe();
    await t.client.jumpTo(120);
    expect(seqs(t.room().jump?.messages ?? [])).toEqual(range(96, 145));
    post(201);
    post(202);
    expect(seqs(t.room().jump?.messages ?? [])).toEqual(range(96, 145)); // never into the window
    // the next page is read on the server, then a message is committed and arrives live
    // before the page does
    const answer = deferred<MessagePage>();
    t.fetchPage.mockImplementationOnce(() => answer.promise);
    const loading = t.client.loadNewer();
    const readThen = messagePage(server, { after: 145, limit: 50 });
    post(203);
    answer.resolve(readThen);
    await loading;
    expect(t.room().jump).toBeNull();
    expect(seqs(t.room().messages)).toEqual(range(96, 203));
    post(204);
    expect(seqs(t.room().messages).slice(-2)).toEqual([203, 204]);
  });

  it("joins at once when the window overlaps the live run: the live room as usual", async () => {
    const { t, subscribe } = room();
    subscribe();
    await t.client.jumpTo(140);
    expect(t.room().jump).toBeNull();
    expect(seqs(t.room().messages)).toEqual(range(116, 200));
    expect(t.room().focus?.seq).toBe(140);
  });

  it("a loaded message is shown without reading anything, and asking again highlights it again", async () => {
    const { t, subscribe } = room();
    subscribe();
    await t.client.jumpTo(180);
    const first = t.room().focus;
    await t.client.jumpTo(180);
    expect(t.fetchPage).not.toHaveBeenCalled();
    expect(t.room().focus?.seq).toBe(180);
    expect(t.room().focus?.nonce).not.toBe(first?.nonce);
    // from a window, a message of the live run brings the live run back
    await t.client.jumpTo(20);
    expect(t.room().jump).not.toBeNull();
    await t.client.jumpTo(190);
    expect(t.room().jump).toBeNull();
  });

  it("before the room is subscribed: the window waits for the live run and joins it", async () => {
    const { t, subscribe } = room(60);
    await t.client.jumpTo(50);
    expect(seqs(t.room().jump?.messages ?? [])).toEqual(range(26, 60));
    expect(t.room().jump?.atEnd).toBe(true); // nothing newer to read, nothing live yet
    subscribe();
    expect(t.room().jump).toBeNull();
    expect(seqs(t.room().messages)).toEqual(range(11, 60));
  });

  it("a live run that starts past the window (many messages meanwhile) is paged up to", async () => {
    const server: Message[] = range(1, 60).map((seq) => message(seq));
    const t = setup();
    t.fetchPage.mockImplementation(async (_room, page) => messagePage(server, page));
    t.start();
    await t.client.jumpTo(50);
    expect(t.room().jump?.atEnd).toBe(true);
    for (const seq of range(61, 130)) server.push(message(seq));
    t.connect(server.slice(-50)); // 81…130
    expect(t.room().jump?.atEnd).toBe(false);
    await t.client.loadNewer();
    expect(t.room().jump).toBeNull();
    expect(seqs(t.room().messages)).toEqual(range(26, 130));
  });

  it("an older jump answered after a newer one is dropped", async () => {
    const { t, subscribe } = room();
    subscribe();
    const slow = deferred<MessagePage>();
    t.fetchPage.mockImplementationOnce(() => slow.promise);
    const first = t.client.jumpTo(30);
    await t.client.jumpTo(90);
    slow.resolve(messagePage(range(1, 200).map((s) => message(s)), { before: 31, limit: 25 }));
    await first;
    expect(seqs(t.room().jump?.messages ?? [])).toEqual(range(66, 115));
    expect(t.room().focus?.seq).toBe(90);
  });

  it("edits reach messages of the window, and an edit seen before its page is not undone by it", async () => {
    const { t, subscribe } = room();
    subscribe();
    const edited = (m: Message, content: string): Message => ({ ...m, content, edited_at: "2024-01-02T00:00:00Z" });
    const update = (seq: number, m: Message): MessageUpdated => ({
      seq,
      change: "edited",
      actor: { user_id: "u-bob", username: "bob" },
      message: m,
    });
    // message 30 is edited while it is far above everything loaded; its page comes later
    t.receive("message_updated", update(201, edited(message(30), "edited early")));
    await t.client.jumpTo(40);
    const shown = (seq: number) => t.room().jump?.messages.find((m) => m.seq === seq)?.content;
    expect(shown(30)).toBe("edited early");
    t.receive("message_updated", update(202, edited(message(41), "edited in the window")));
    expect(shown(41)).toBe("edited in the window");
    expect(t.room().jump?.messages).toHaveLength(50);
  });

  it("an older page of the live run read before an edit arrived does not undo it either", async () => {
    const { t, subscribe } = room(60);
    subscribe(); // 11…60
    const answer = deferred<MessagePage>();
    t.fetchPage.mockImplementationOnce(() => answer.promise);
    const loading = t.client.loadOlder();
    const readThen = messagePage(range(1, 60).map((seq) => message(seq)), { before: 11, limit: 50 });
    const edited = { ...message(5), content: "edited meanwhile", edited_at: "2024-01-02T00:00:00Z" };
    t.receive("message_updated", { seq: 61, change: "edited", actor: { user_id: "u-bob", username: "bob" }, message: edited });
    answer.resolve(readThen);
    await loading;
    expect(t.room().messages.find((m) => m.seq === 5)?.content).toBe("edited meanwhile");
    expect(seqs(t.room().messages)).toEqual(range(1, 60));
  });

  it("sending from far back in the history goes back to the newest; so does leaving the room", async () => {
    const { t, subscribe } = room();
    subscribe();
    await t.client.jumpTo(40);
    t.client.send("hello");
    expect(t.room().jump).toBeNull();
    await t.client.jumpTo(40);
    t.connection.closeRoom(t.client);
    expect(t.room().jump).toBeNull();
    expect(t.room().focus).toBeNull();
  });

  it("says so when the history around the message cannot be read", async () => {
    const { t, subscribe } = room();
    subscribe();
    t.fetchPage.mockImplementation(async () => {
      throw new Error("offline");
    });
    await t.client.jumpTo(40);
    await flush();
    expect(t.room().jump).toBeNull();
    expect(t.room().notice).toMatch(/Could not load/);
  });
});
