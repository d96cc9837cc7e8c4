// The message row as markup (react-dom/server, no DOM needed): which actions a user gets, and
// how deleted, edited, replied-to and reacted-to messages read.
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import type { Message } from "../realtime/protocol";
import type { PendingAction } from "../realtime/store";
import { message } from "../realtime/testing";
import { gridMove, reactorNames, REACTION_EMOJI } from "./emoji";
import { MessageItem, type MessageHandlers } from "./MessageItem";

const ME = { id: "u-me", username: "me" };
const handlers: MessageHandlers = {
  reply: vi.fn(),
  startEdit: vi.fn(),
  cancelEdit: vi.fn(),
  saveEdit: vi.fn(),
  remove: vi.fn(),
  toggleReaction: vi.fn(),
  jumpTo: vi.fn(),
  retry: vi.fn(),
  discard: vi.fn(),
};
const usernames = new Map([
  ["u-me", "me"],
  ["u-bob", "bob"],
  ["u-alice", "alice"],
]);

function render(m: Message, extra: { moderator?: boolean; editing?: boolean; actions?: PendingAction[] } = {}): string {
  return renderToStaticMarkup(
    <MessageItem
      message={m}
      actions={extra.actions ?? []}
      me={ME}
      grouped={false}
      editing={extra.editing ?? false}
      highlighted={false}
      moderator={extra.moderator ?? false}
      names={new Map()}
      usernames={usernames}
      handlers={handlers}
    />,
  );
}

const buttons = (html: string) => [...html.matchAll(/<button[^>]*aria-label="([^"]+)"/g)].map((m) => m[1]);

describe("MessageItem actions", () => {
  it("offers Add reaction, Reply, Edit and Delete on one's own message", () => {
    expect(buttons(render(message(1, "u-me")))).toEqual(["Add reaction", "Reply", "Edit", "Delete"]);
  });

  it("offers no Edit or Delete on someone else's message, Delete to the owner or an admin", () => {
    expect(buttons(render(message(1, "u-bob")))).toEqual(["Add reaction", "Reply"]);
    expect(buttons(render(message(1, "u-bob"), { moderator: true }))).toEqual(["Add reaction", "Reply", "Delete"]);
  });

  it("shows the tombstone of a deleted message, without actions or reactions", () => {
    const html = render(message(1, "u-me", { deleted: true, content: "", reactions: [] }));
    expect(html).toContain("This message was deleted");
    expect(buttons(html)).toEqual([]);
  });

  it("marks an edited message, with the edit time as a tooltip", () => {
    const html = render(message(1, "u-bob", { content: "new text", edited_at: "2024-03-01T10:00:00Z" }));
    expect(html).toMatch(/<span class="message__edited" title="Edited [^"]+">\(edited\)<\/span>/);
    expect(html).toContain('<div class="message__text"><p>new text</p></div>');
  });

  it("edits inline in a labelled text box instead of the text", () => {
    const html = render(message(1, "u-me"), { editing: true });
    expect(html).toMatch(/<textarea[^>]*aria-label="Edit message"/);
    expect(html).not.toContain('class="message__text"');
  });

  it("quotes the message replied to, and says so once that one is deleted", () => {
    const reply = { id: "m-1", seq: 1, sender_username: "alice", content: "the question" };
    const html = render(message(2, "u-bob", { reply_to: reply }));
    expect(html).toMatch(/<button[^>]*class="reply-quote"[^>]*><span class="visually-hidden">Show the original message: <\/span>/);
    expect(html).toContain("alice");
    expect(html).toContain("the question");
    expect(render(message(2, "u-bob", { reply_to: { ...reply, content: "" } }))).toContain("Original message was deleted");
  });

  it("shows reaction chips with their count, pressed when ours, naming who reacted", () => {
    const html = render(
      message(1, "u-bob", {
        reactions: [
          { emoji: "👍", count: 2, user_ids: ["u-bob", "u-me"] },
          { emoji: "🎉", count: 1, user_ids: ["u-alice"] },
        ],
      }),
    );
    expect(html).toMatch(/<button[^>]*aria-pressed="true"[^>]*title="bob, me"[^>]*>.*👍.*2/);
    expect(html).toMatch(/<button[^>]*aria-pressed="false"[^>]*title="alice"[^>]*>.*🎉.*1/);
  });

  it("shows a pending edit at once, and a failed action with Retry and Dismiss", () => {
    const base = { client_id: "c-1", error: null, retryable: true, created_at: 0 };
    const pending: PendingAction = { ...base, type: "edit_message", message_id: "m-1", content: "soon", state: "pending" };
    const html = render(message(1, "u-me"), { actions: [pending] });
    expect(html).toContain(">soon</p>");
    expect(html).toMatch(/<time datetime="[^"]+" title="[^"]*\d[^"]*">/i); // the full date and time on hover
    expect(html).toContain("data-action-state=\"pending\"");
    const failed: PendingAction = { ...base, type: "delete_message", message_id: "m-1", state: "failed", error: "storage unavailable" };
    const failedHtml = render(message(1, "u-me"), { actions: [failed] });
    expect(failedHtml).toContain("Not deleted: storage unavailable");
    expect(failedHtml).toMatch(/>Retry<\/button>.*>Dismiss<\/button>/);
  });
});

describe("emoji picker helpers", () => {
  it("has a small built-in set, each emoji once", () => {
    expect(REACTION_EMOJI.length).toBe(16);
    expect(new Set(REACTION_EMOJI.map((e) => e.emoji)).size).toBe(16);
  });

  it("moves through the grid with the arrow keys, Home and End", () => {
    expect(gridMove("ArrowRight", 0, 16, 8)).toBe(1);
    expect(gridMove("ArrowRight", 15, 16, 8)).toBe(0);
    expect(gridMove("ArrowLeft", 0, 16, 8)).toBe(15);
    expect(gridMove("ArrowDown", 3, 16, 8)).toBe(11);
    expect(gridMove("ArrowDown", 11, 16, 8)).toBe(11);
    expect(gridMove("ArrowUp", 11, 16, 8)).toBe(3);
    expect(gridMove("End", 2, 16, 8)).toBe(15);
    expect(gridMove("Home", 9, 16, 8)).toBe(0);
    expect(gridMove("a", 9, 16, 8)).toBeNull();
  });

  it("names who reacted by username, counting those it cannot name", () => {
    expect(reactorNames(["u-bob", "u-x", "u-me", "u-y"], usernames)).toBe("bob, me, 2 others");
  });
});
