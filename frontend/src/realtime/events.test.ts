import { describe, expect, it } from "vitest";
import { LogCursor, MessageVersions, refreshReplies } from "./events";
import { message } from "./testing";

const seqs = (list: { seq: number }[]) => list.map((m) => m.seq);

function cursor(start: number | null = null) {
  let high = start;
  const c = new LogCursor(
    () => high,
    (seq) => {
      high = seq;
    },
  );
  return { c, high: () => high };
}

describe("LogCursor", () => {
  it("follows every event of the log, messages and updates alike", () => {
    const t = cursor();
    t.c.reach(3);
    t.c.saw(4); // new_message
    t.c.saw(5); // message_updated
    expect(t.high()).toBe(5);
  });

  it("waits at a gap until it fills, so since_seq never skips a missing event", () => {
    const t = cursor(3);
    t.c.saw(5);
    t.c.saw(6);
    expect(t.high()).toBe(3);
    t.c.saw(4);
    expect(t.high()).toBe(6);
  });

  it("a snapshot or page moves past everything it covers; a drop forgets what was ahead", () => {
    const t = cursor(3);
    t.c.saw(5);
    t.c.saw(9);
    t.c.reach(8); // 9 is right after: taken too
    expect(t.high()).toBe(9);
    t.c.saw(11);
    t.c.reset();
    t.c.saw(10);
    expect(t.high()).toBe(10);
    t.c.reach(2); // never backwards
    expect(t.high()).toBe(10);
  });
});

describe("MessageVersions", () => {
  it("replaces a message by id with a newer state and keeps the same array when nothing changed", () => {
    const v = new MessageVersions();
    const shown = [message(1), message(2)];
    const edited = message(2, "u-bob", { content: "fixed", edited_at: "2024-01-01T13:00:00Z" });
    const { messages } = v.apply(shown, [edited], 3);
    expect(messages.map((m) => m.content)).toEqual(["message 1", "fixed"]);
    expect(messages[0]).toBe(shown[0]);
    expect(v.apply(messages, [{ ...edited }], 3).messages).toBe(messages);
  });

  it("never lets an older state undo a newer one", () => {
    const v = new MessageVersions();
    let shown = [message(1)];
    shown = v.apply(shown, [message(1, "u-bob", { content: "second edit" })], 7).messages;
    const stale = v.apply(shown, [message(1, "u-bob", { content: "first edit" })], 5);
    expect(stale.messages).toBe(shown);
    expect(stale.accepted).toEqual([]);
    // "as it stands now" (a no-op answer on our own connection) is always current
    const now = v.apply(shown, [message(1, "u-bob", { content: "second edit", reactions: [] })], null);
    expect(now.accepted).toHaveLength(1);
  });

  it("inserts new messages in seq order but none older than the loaded window", () => {
    const v = new MessageVersions();
    const shown = [message(10), message(12)];
    const { messages, accepted } = v.apply(shown, [message(13), message(11), message(3)], 13);
    expect(seqs(messages)).toEqual([10, 11, 12, 13]);
    expect(seqs(accepted)).toEqual([13, 11, 3]); // seq 3 is known (for reply quotes), not shown
  });
});

describe("refreshReplies", () => {
  const parent = message(1, "u-alice", { content: "original" });
  const reply = message(2, "u-bob", {
    reply_to: { id: parent.id, seq: 1, sender_username: "alice", content: "original" },
  });

  it("quotes the parent's new text after an edit, cut to 200 characters", () => {
    const long = "é".repeat(150) + "😀".repeat(100);
    const [next] = refreshReplies([reply], [{ ...parent, content: long }]);
    expect(next?.reply_to?.content).toBe("é".repeat(150) + "😀".repeat(50));
  });

  it("quotes nothing once the parent is deleted", () => {
    const [next] = refreshReplies([reply], [{ ...parent, content: "", deleted: true }]);
    expect(next?.reply_to?.content).toBe("");
  });

  it("leaves the list as it is when no parent changed", () => {
    const list = [parent, reply];
    expect(refreshReplies(list, [parent])).toBe(list);
    expect(refreshReplies(list, [message(5)])).toBe(list);
  });
});
