import { describe, expect, it } from "vitest";
import { isSatisfied, supersedes, withPending, withoutSatisfied } from "./actions";
import type { ActionIntent, PendingAction } from "./store";
import { message } from "./testing";

const ME = "u-me";
let n = 0;
function pending(intent: ActionIntent, state: "pending" | "failed" = "pending"): PendingAction {
  return { ...intent, client_id: `c-${++n}`, state, error: null, retryable: true, created_at: 0 };
}

describe("withPending", () => {
  const stored = message(1, ME, { reactions: [{ emoji: "👍", count: 1, user_ids: ["u-bob"] }] });

  it("shows a pending edit's text and pending reactions of ours", () => {
    const shown = withPending(
      stored,
      [
        pending({ type: "edit_message", message_id: stored.id, content: "new text" }),
        pending({ type: "add_reaction", message_id: stored.id, emoji: "👍" }),
        pending({ type: "add_reaction", message_id: stored.id, emoji: "🎉" }),
      ],
      ME,
    );
    expect(shown.content).toBe("new text");
    expect(shown.reactions).toEqual([
      { emoji: "👍", count: 2, user_ids: ["u-bob", ME] },
      { emoji: "🎉", count: 1, user_ids: [ME] },
    ]);
  });

  it("takes a reaction of ours away, and ignores failed actions and other messages", () => {
    const mine = message(1, ME, { reactions: [{ emoji: "👍", count: 1, user_ids: [ME] }] });
    expect(withPending(mine, [pending({ type: "remove_reaction", message_id: mine.id, emoji: "👍" })], ME).reactions).toEqual([]);
    const failed = pending({ type: "edit_message", message_id: mine.id, content: "x" }, "failed");
    const other = pending({ type: "edit_message", message_id: "m-9", content: "y" });
    expect(withPending(mine, [failed, other], ME)).toBe(mine);
  });
});

describe("supersedes and isSatisfied", () => {
  const id = "m-1";
  it("keeps one intent per edit, per emoji, and a delete ends them all", () => {
    const edit = { type: "edit_message" as const, message_id: id, content: "a" };
    const add = { type: "add_reaction" as const, message_id: id, emoji: "👍" };
    const remove = { type: "remove_reaction" as const, message_id: id, emoji: "👍" };
    const party = { type: "add_reaction" as const, message_id: id, emoji: "🎉" };
    expect(supersedes({ ...edit, content: "b" }, edit)).toBe(true);
    expect(supersedes(remove, add)).toBe(true);
    expect(supersedes(party, add)).toBe(false);
    expect(supersedes(edit, add)).toBe(false);
    expect(supersedes({ type: "delete_message", message_id: id }, add)).toBe(true);
    expect(supersedes({ type: "delete_message", message_id: "m-2" }, add)).toBe(false);
  });

  it("recognises an action the stored state already shows done", () => {
    const m = message(1, ME, { content: "b", edited_at: "2024-01-01T00:00:00Z", reactions: [{ emoji: "👍", count: 1, user_ids: [ME] }] });
    expect(isSatisfied({ type: "edit_message", message_id: m.id, content: "b" }, m, ME)).toBe(true);
    expect(isSatisfied({ type: "edit_message", message_id: m.id, content: "c" }, m, ME)).toBe(false);
    expect(isSatisfied({ type: "add_reaction", message_id: m.id, emoji: "👍" }, m, ME)).toBe(true);
    expect(isSatisfied({ type: "remove_reaction", message_id: m.id, emoji: "👍" }, m, ME)).toBe(false);
    expect(isSatisfied({ type: "delete_message", message_id: m.id }, { ...m, deleted: true }, ME)).toBe(true);
    const actions = [pending({ type: "add_reaction", message_id: m.id, emoji: "👍" })];
    expect(withoutSatisfied(actions, [m], ME)).toEqual([]);
    expect(withoutSatisfied(actions, [], ME)).toBe(actions);
  });
});
