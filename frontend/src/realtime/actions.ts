// Edits, deletes and reactions (SPEC §4) as the client tracks them: the frame each one is,
// which newer action makes an older one moot, when the room's state shows one was applied,
// and how a message looks with our pending actions on it.
import type { Message, Reaction, RoomClientFrame } from "./protocol";
import type { ActionIntent, PendingAction } from "./store";

export function actionFrame(action: PendingAction): RoomClientFrame {
  const { client_id, message_id } = action;
  switch (action.type) {
    case "edit_message":
      return { type: action.type, data: { message_id, content: action.content, client_id } };
    case "delete_message":
      return { type: action.type, data: { message_id, client_id } };
    default:
      return { type: action.type, data: { message_id, emoji: action.emoji, client_id } };
  }
}

/**
 * Whether `older` no longer matters once `newer` is asked: a new edit replaces an edit of the
 * same message, a delete replaces everything on it, a reaction toggle replaces one of the same
 * emoji. So each (message, emoji) has one intent at most, and resending after a reconnect
 * cannot reorder two of them.
 */
export function supersedes(newer: ActionIntent, older: ActionIntent): boolean {
  if (newer.message_id !== older.message_id) return false;
  if (newer.type === "delete_message") return true;
  if (newer.type === "edit_message") return older.type === "edit_message";
  return (older.type === "add_reaction" || older.type === "remove_reaction") && older.emoji === newer.emoji;
}

export function hasReacted(message: Message, emoji: string, userId: string): boolean {
  return (message.reactions ?? []).some((r) => r.emoji === emoji && r.user_ids.includes(userId));
}

/** The stored message already shows this action done (by this tab before a drop, or another tab). */
export function isSatisfied(action: ActionIntent, message: Message | undefined, myId: string): boolean {
  if (message === undefined) return false;
  switch (action.type) {
    case "edit_message":
      return !message.deleted && message.edited_at !== null && message.content === action.content;
    case "delete_message":
      return message.deleted;
    case "add_reaction":
      return hasReacted(message, action.emoji, myId);
    case "remove_reaction":
      return !hasReacted(message, action.emoji, myId);
  }
}

/** Actions that the stored messages show done, dropped; the same array when none is. */
export function withoutSatisfied(actions: PendingAction[], messages: readonly Message[], myId: string): PendingAction[] {
  if (actions.length === 0) return actions;
  const byId = new Map<string, Message>();
  for (const m of messages) byId.set(m.id, m);
  const rest = actions.filter((a) => !isSatisfied(a, byId.get(a.message_id), myId));
  return rest.length === actions.length ? actions : rest;
}

function toggled(reactions: Reaction[], emoji: string, userId: string, add: boolean): Reaction[] {
  const at = reactions.findIndex((r) => r.emoji === emoji);
  const existing = reactions[at];
  if (add) {
    if (existing?.user_ids.includes(userId)) return reactions;
    if (existing === undefined) return [...reactions, { emoji, count: 1, user_ids: [userId] }];
    const next = [...reactions];
    next[at] = { emoji, count: existing.count + 1, user_ids: [...existing.user_ids, userId] };
    return next;
  }
  if (existing === undefined || !existing.user_ids.includes(userId)) return reactions;
  if (existing.count <= 1) return reactions.filter((_, i) => i !== at);
  const next = [...reactions];
  next[at] = { emoji, count: existing.count - 1, user_ids: existing.user_ids.filter((id) => id !== userId) };
  return next;
}

/**
 * The message as the user expects it: the stored state with our pending (not failed) actions
 * applied. A pending delete keeps the text, the row says it is being deleted.
 */
export function withPending(message: Message, actions: readonly PendingAction[], myId: string): Message {
  let shown = message;
  for (const action of actions) {
    if (action.message_id !== message.id || action.state !== "pending" || shown.deleted) continue;
    if (action.type === "edit_message") {
      shown = { ...shown, content: action.content };
    } else if (action.type === "add_reaction" || action.type === "remove_reaction") {
      const reactions = toggled(shown.reactions ?? [], action.emoji, myId, action.type === "add_reaction");
      if (reactions !== shown.reactions) shown = { ...shown, reactions };
    }
  }
  return shown;
}
