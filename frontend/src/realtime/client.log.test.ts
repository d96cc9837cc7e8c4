// The room's event log (SPEC §4a) through RoomClient: updates applied, recovery, replies,
// and edits, deletes and reactions from pending to confirmed or failed.
import { describe, expect, it, vi } from "vitest";
import { ME, flush, newMessageEvent, seqs, setup, listing } from "./harness";
import type { Message, MessageUpdated } from "./protocol";
import { message } from "./testing";

const BOB = { user_id: "u-bob", username: "bob" };

function updated(seq: number | null, msg: Message, change: MessageUpdated["change"], extra: Partial<MessageUpdated> = {}): MessageUpdated {
  return { seq, change, actor: BOB, message: msg, ...extra };
}

const edited = (m: Message, content: string): Message => ({ ...m, content, edited_at: "2024-01-01T13:00:00Z" });
const tombstone = (m: Message): Message => ({ ...m, content: "", deleted: true, reactions: [] });

function live(recent: Message[] = [message(1), message(2)]) {
  const t = setup();
  t.start();
  t.connect(recent);
  return t;
}

describe("message_updated", () => {
  it("replaces the message by id, and the update's seq is where a reconnect starts", () => {
    const t = live();
    const first = t.room().messages[0];
    t.receive("message_updated", updated(3, edited(message(2), "fixed typo"), "edited"));
    expect(t.room().messages.map((m) => m.content)).toEqual(["message 1", "fixed typo"]);
    expect(t.room().messages[0]).toBe(first);
    expect(t.room().lastSeq).toBe(3);
    t.receive("message_updated", updated(4, tombstone(message(1)), "deleted"));
    expect(t.room().messages[0]).toMatchObject({ deleted: true, content: "" });
    t.last().serverClose(1006);
    t.clock.advance(60_000);
    expect(t.since()).toBe(4);
  });

  it("a no-op reaction answer (seq null) changes nothing in the log position", () => {
    const t = live();
    t.receive("message_updated", updated(null, message(2), "reaction_added", { emoji: "👍" }));
    expect(t.room().lastSeq).toBe(2);
  });

  it("an update of a message older than the loaded history is not shown, nor does it leave a gap", () => {
    const t = live([message(50), message(51)]);
    t.receive("message_updated", updated(52, edited(message(3), "old one"), "edited"));
    expect(seqs(t.room().messages)).toEqual([50, 51]);
    expect(t.room().lastSeq).toBe(52);
  });

  it("keeps the room list's preview in step with an edit or delete of the last message", () => {
    const t = live();
    t.store.setRooms([listing("room-1", { last_seq: 2, last_message: message(2) })]);
    t.receive("message_updated", updated(3, tombstone(message(2)), "deleted"));
    const summary = t.store.getState().rooms[0];
    expect(summary?.last_message?.deleted).toBe(true);
    expect(summary?.last_seq).toBe(3);
  });
});

describe("recovery of updates", () => {
  it("applies the changes of `connected` to older messages it already shows", () => {
    const t = live([message(1), message(2), message(3)]);
    t.last().serverClose(1006);
    t.clock.advance(60_000);
    expect(t.since()).toBe(3);
    t.connect([message(5)], {
      recovered: true,
      last_seq: 6,
      changes: [
        updated(4, edited(message(1), "edited while away"), "edited"),
        updated(6, tombstone(message(2)), "deleted"),
      ],
    });
    expect(t.room().messages.map((m) => m.content)).toEqual(["edited while away", "", "message 3", "message 5"]);
    expect(t.room().lastSeq).toBe(6);
  });

  it("reads the log over REST on recovered: false, updates included, until has_more is false", async () => {
    const t = setup({
      events: [
        {
          events: [newMessageEvent(message(3)), { seq: 4, type: "message_updated", data: updated(4, edited(message(1), "v2"), "edited") }],
          has_more: true,
          last_seq: 8,
        },
        { events: [newMessageEvent(message(7))], has_more: false, last_seq: 8 },
      ],
    });
    t.start();
    t.connect([message(1), message(2)]);
    t.last().serverClose(1006);
    t.clock.advance(60_000);
    t.connect([message(3)], { recovered: false, last_seq: 8 });
    await vi.waitFor(() => expect(t.room().lastSeq).toBe(8));
    expect(t.fetchEvents.mock.calls.map((c) => c[1])).toEqual([2, 4]);
    expect(seqs(t.room().messages)).toEqual([1, 2, 3, 7]);
    expect(t.room().messages[0]?.content).toBe("v2");
  });

  it("a page read before a live edit arrived does not undo it", async () => {
    let answer: (page: unknown) => void = () => undefined;
    const t = setup();
    t.fetchEvents.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)) as never);
    t.start();
    t.connect([message(1)]);
    t.last().serverClose(1006);
    t.clock.advance(60_000);
    t.connect([], { recovered: false, last_seq: 5 });
    t.receive("message_updated", updated(6, edited(message(1), "live, newest"), "edited"));
    answer({ events: [{ seq: 5, type: "message_updated", data: updated(5, edited(message(1), "older"), "edited") }], has_more: false, last_seq: 5 });
    await flush();
    expect(t.room().messages[0]?.content).toBe("live, newest");
    expect(t.room().lastSeq).toBe(6);
  });
});

describe("replies", () => {
  const parent = message(1, "u-bob", { content: "the question" });
  const reply = message(2, "u-alice", {
    reply_to: { id: parent.id, seq: 1, sender_username: "bob", content: "the question" },
  });

  it("sends reply_to with the parent's id and shows the quote while pending", () => {
    const t = live([parent]);
    const clientId = t.client.send("the answer", parent);
    expect(t.sentOf("send_message")).toEqual([{ content: "the answer", client_id: clientId, reply_to: parent.id }]);
    expect(t.room().outbox[0]?.reply_to).toEqual({ id: parent.id, seq: 1, sender_username: "bob", content: "the question" });
  });

  it("refreshes the quote of loaded replies when the parent is edited, and empties it once deleted", () => {
    const t = live([parent, reply]);
    t.receive("message_updated", updated(3, edited(parent, "the better question"), "edited"));
    expect(t.room().messages[1]?.reply_to?.content).toBe("the better question");
    t.receive("message_updated", updated(4, tombstone(parent), "deleted"));
    expect(t.room().messages[1]?.reply_to?.content).toBe("");
  });

  it("refreshes it even when the parent is older than the loaded history", () => {
    const t = live([message(40), { ...reply, seq: 41, id: "m-41" }]);
    t.receive("message_updated", updated(42, tombstone(parent), "deleted"));
    expect(t.room().messages[1]?.reply_to?.content).toBe("");
  });
});

describe("edit, delete, react: pending, confirmed, failed, retried", () => {
  it("an edit is pending until message_updated answers its client_id", () => {
    const t = live([message(1, "u-me")]);
    const clientId = t.client.edit("m-1", "better words");
    expect(t.sentOf("edit_message")).toEqual([{ message_id: "m-1", content: "better words", client_id: clientId }]);
    expect(t.room().actions).toMatchObject([{ client_id: clientId, state: "pending", type: "edit_message" }]);
    t.receive(
      "message_updated",
      updated(2, edited(message(1, "u-me"), "better words"), "edited", { client_id: clientId, actor: { user_id: ME.id, username: ME.username } }),
    );
    expect(t.room().actions).toEqual([]);
    expect(t.room().messages[0]?.content).toBe("better words");
  });

  it("does not send an edit that changes nothing or is blank", () => {
    const t = live([message(1, "u-me")]);
    expect(t.client.edit("m-1", "message 1")).toBeNull();
    expect(t.client.edit("m-1", "   ")).toBeNull();
    expect(t.sentOf("edit_message")).toEqual([]);
  });

  it("a refusal fails the action; retry sends it again with the same client_id", () => {
    const t = live([message(1, "u-me")]);
    const clientId = t.client.delete("m-1") ?? "";
    t.receive("message_error", { error: "storage unavailable", client_id: clientId, retryable: true, action: "delete" });
    expect(t.room().actions[0]).toMatchObject({ state: "failed", error: "storage unavailable", retryable: true });
    t.client.retry(clientId);
    expect(t.room().actions[0]?.state).toBe("pending");
    expect(t.sentOf("delete_message").map((d) => d.client_id)).toEqual([clientId, clientId]);
    t.client.discard(clientId);
    expect(t.room().actions).toEqual([]);
  });

  it("fails an action with no answer in time", () => {
    const t = live();
    t.client.toggleReaction("m-1", "👍");
    t.clock.advance(10_000);
    expect(t.room().actions[0]).toMatchObject({ state: "failed", error: "No answer from the server", retryable: true });
  });

  it("toggles a reaction from what the user sees, and the no-op answer settles it", () => {
    const t = live([message(1, "u-bob", { reactions: [{ emoji: "👍", count: 1, user_ids: [ME.id] }] })]);
    const removing = t.client.toggleReaction("m-1", "👍");
    expect(t.sentOf("remove_reaction")).toEqual([{ message_id: "m-1", emoji: "👍", client_id: removing }]);
    // toggled again before the answer: the newer intent replaces the older one
    const adding = t.client.toggleReaction("m-1", "👍");
    expect(t.sentOf("add_reaction")).toEqual([{ message_id: "m-1", emoji: "👍", client_id: adding }]);
    expect(t.room().actions.map((a) => a.client_id)).toEqual([adding]);
    t.receive("message_updated", updated(null, t.room().messages[0] as Message, "reaction_added", { emoji: "👍", client_id: adding }));
    expect(t.room().actions).toEqual([]);
  });

  it("a pending action that another tab's update shows done is settled without its own answer", () => {
    const t = live([message(1, "u-bob")]);
    t.client.toggleReaction("m-1", "🎉");
    const reacted = message(1, "u-bob", { reactions: [{ emoji: "🎉", count: 1, user_ids: [ME.id] }] });
    t.receive("message_updated", updated(2, reacted, "reaction_added", { emoji: "🎉", actor: { user_id: ME.id, username: ME.username } }));
    expect(t.room().actions).toEqual([]);
    t.clock.advance(20_000); // its timer went with it: nothing turns failed later
    expect(t.room().actions).toEqual([]);
  });

  it("a refused action because of its rate limit does not hold the composer", () => {
    const t = live();
    const clientId = t.client.toggleReaction("m-1", "🎉");
    t.receive("rate_limit_exceeded", {
      error: "Rate limit exceeded",
      client_id: clientId,
      rate_limit_info: { messages_sent: 60, max_messages: 60, time_until_reset: 30 },
    });
    expect(t.room().actions[0]).toMatchObject({ state: "failed", retryable: true });
    expect(t.room().rateLimitedUntil).toBeNull();
  });

  it("actions taken offline, or whose answer was lost, go out again with their client_id on reconnect", () => {
    const t = live([message(1, "u-me"), message(2, "u-bob")]);
    const inFlight = t.client.toggleReaction("m-2", "👍") ?? "";
    t.last().serverClose(1006); // the answer is lost with the connection
    const offline = t.client.edit("m-1", "written offline") ?? "";
    const done = t.client.toggleReaction("m-2", "🎉") ?? "";
    expect(t.room().actions.map((a) => a.state)).toEqual(["pending", "pending", "pending"]);
    t.clock.advance(60_000);
    // the 🎉 reaction was applied before the drop (another tab, or its answer was lost): not sent again
    const reacted = message(2, "u-bob", { reactions: [{ emoji: "🎉", count: 1, user_ids: [ME.id] }] });
    t.connect([], { recovered: true, last_seq: 3, changes: [updated(3, reacted, "reaction_added", { emoji: "🎉" })] });
    expect(t.sentOf("add_reaction")).toEqual([{ message_id: "m-2", emoji: "👍", client_id: inFlight }]);
    expect(t.sentOf("edit_message")).toEqual([{ message_id: "m-1", content: "written offline", client_id: offline }]);
    expect(t.room().actions.map((a) => a.client_id)).not.toContain(done);
  });
});
