// What the user asked the server and it has not yet confirmed: messages (the outbox) and
// edits, deletes and reactions (the actions). Each has a client_id; it is pending until the
// server answers for that client_id, failed on a refusal or when no answer comes in time, and
// sent again with the same client_id after a reconnect (the server applies it at most once).
import { actionFrame, hasReacted, supersedes, withPending, withoutSatisfied } from "./actions";
import type { Clock } from "./clock";
import { isSendable, newClientId, replySnippet, type Message, type RoomClientFrame, type UserRef } from "./protocol";
import type { ActionIntent, OutgoingMessage, PendingAction, RoomState } from "./store";

/** Outgoing messages that a recovered or live message shows were already stored. */
export function withoutDelivered(
  outbox: OutgoingMessage[],
  messages: readonly Message[],
  myId: string,
): OutgoingMessage[] {
  if (outbox.length === 0) return outbox;
  const delivered = new Set<string>();
  for (const m of messages) if (m.client_id && m.sender_id === myId) delivered.add(m.client_id);
  if (delivered.size === 0) return outbox;
  const rest = outbox.filter((m) => !delivered.has(m.client_id));
  return rest.length === outbox.length ? outbox : rest;
}

export function addUser(users: UserRef[], user: UserRef): UserRef[] {
  return users.some((u) => u.user_id === user.user_id) ? users : [...users, user];
}

/** One timer per unconfirmed send: no answer within `timeoutMs` calls `onTimeout`. */
export class AckTimers {
  private readonly timers = new Map<string, unknown>();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  arm(clientId: string, onTimeout: () => void): void {
    this.clear(clientId);
    this.timers.set(
      clientId,
      this.clock.setTimeout(() => {
        this.timers.delete(clientId);
        onTimeout();
      }, this.timeoutMs),
    );
  }

  clear(clientId: string): void {
    const timer = this.timers.get(clientId);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.timers.delete(clientId);
  }

  clearAll(): void {
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
  }
}

export interface OutgoingDeps {
  clock: Clock;
  ackTimeoutMs: number;
  /** Writes a frame when the connection is live; false when it is not (the entry stays pending). */
  transmit: (frame: RoomClientFrame) => boolean;
  room: () => RoomState;
  update: (fn: (room: RoomState) => RoomState) => void;
}

type Entry = { state: "pending" | "failed"; error: string | null; retryable: boolean };

export class Outgoing {
  private readonly acks: AckTimers;

  constructor(private readonly deps: OutgoingDeps) {
    this.acks = new AckTimers(deps.clock, deps.ackTimeoutMs);
  }

  /** Queue a message, a reply to `replyTo` when given; it goes out now when live, else once reconnected. */
  send(content: string, replyTo: Message | null = null): string | null {
    if (!isSendable(content)) return null;
    const entry: OutgoingMessage = {
      client_id: newClientId(),
      content,
      reply_to: replyTo && {
        id: replyTo.id,
        seq: replyTo.seq,
        sender_username: replyTo.sender_username,
        content: replySnippet(replyTo),
      },
      ...fresh(),
      created_at: this.deps.clock.now(),
    };
    this.deps.update((r) => ({ ...r, outbox: [...r.outbox, entry] }));
    this.transmitSend(entry);
    return entry.client_id;
  }

  edit(messageId: string, content: string): string | null {
    const message = this.shown(messageId);
    if (!isSendable(content) || message === undefined || message.deleted || message.content === content) return null;
    return this.act({ type: "edit_message", message_id: messageId, content });
  }

  delete(messageId: string): string | null {
    const message = this.shown(messageId);
    if (message === undefined || message.deleted) return null;
    return this.act({ type: "delete_message", message_id: messageId });
  }

  toggleReaction(messageId: string, emoji: string): string | null {
    const message = this.shown(messageId);
    const me = this.deps.room().me?.id;
    if (message === undefined || message.deleted || me === undefined) return null;
    const type = hasReacted(message, emoji, me) ? "remove_reaction" : "add_reaction";
    return this.act({ type, message_id: messageId, emoji });
  }

  /** Queue an edit, delete or reaction; one it makes moot is dropped. */
  act(intent: ActionIntent): string {
    const action: PendingAction = { ...intent, client_id: newClientId(), ...fresh(), created_at: this.deps.clock.now() };
    for (const old of this.deps.room().actions) if (supersedes(intent, old)) this.acks.clear(old.client_id);
    this.deps.update((r) => ({ ...r, actions: [...r.actions.filter((a) => !supersedes(intent, a)), action] }));
    this.transmitAction(action);
    return action.client_id;
  }

  /** Send a failed message or action again with the same client_id. */
  retry(clientId: string): void {
    const room = this.deps.room();
    const message = room.outbox.find((m) => m.client_id === clientId);
    if (message?.state === "failed") {
      this.patch(clientId, fresh());
      this.transmitSend({ ...message, ...fresh() });
      return;
    }
    const action = room.actions.find((a) => a.client_id === clientId);
    if (action?.state === "failed") {
      this.patch(clientId, fresh());
      this.transmitAction({ ...action, ...fresh() });
    }
  }

  discard(clientId: string): void {
    this.acks.clear(clientId);
    this.deps.update((r) => {
      const outbox = r.outbox.filter((m) => m.client_id !== clientId);
      const actions = r.actions.filter((a) => a.client_id !== clientId);
      return outbox.length === r.outbox.length && actions.length === r.actions.length ? r : { ...r, outbox, actions };
    });
  }

  /** Connected again: every pending entry goes out once more, with its client_id. */
  resend(): void {
    const room = this.deps.room();
    for (const entry of room.outbox) if (entry.state === "pending") this.transmitSend(entry);
    for (const action of room.actions) if (action.state === "pending") this.transmitAction(action);
  }

  /** Drop what the room's state shows done: messages stored (`incoming`), actions applied. */
  settle(incoming: readonly Message[], myId: string): void {
    this.deps.update((r) => {
      const outbox = withoutDelivered(r.outbox, incoming, myId);
      const actions = withoutSatisfied(r.actions, r.messages, myId);
      for (const a of r.actions) if (!actions.includes(a)) this.acks.clear(a.client_id);
      return outbox === r.outbox && actions === r.actions ? r : { ...r, outbox, actions };
    });
  }

  /** The server confirmed a message (`message_sent`) or an action (`message_updated`). */
  confirmed(clientId: string): void {
    this.discard(clientId);
  }

  /** A refusal or a timeout; which kind of entry it was, or null when unknown. */
  fail(clientId: string, error: string, retryable: boolean): "send" | "action" | null {
    this.acks.clear(clientId);
    const kind = this.kindOf(clientId);
    if (kind !== null) this.patch(clientId, { state: "failed", error, retryable });
    return kind;
  }

  kindOf(clientId: string): "send" | "action" | null {
    const room = this.deps.room();
    if (room.outbox.some((m) => m.client_id === clientId)) return "send";
    if (room.actions.some((a) => a.client_id === clientId)) return "action";
    return null;
  }

  /** The connection is gone: answers cannot come any more; entries stay pending for the next one. */
  disconnected(): void {
    this.acks.clearAll();
  }

  /** A message as the user sees it: the stored state with our pending actions on it. */
  private shown(messageId: string): Message | undefined {
    const room = this.deps.room();
    const message = room.messages.find((m) => m.id === messageId);
    return message && withPending(message, room.actions, room.me?.id ?? "");
  }

  private transmitSend(entry: OutgoingMessage): void {
    const data: { content: string; client_id: string; reply_to?: string } = {
      content: entry.content,
      client_id: entry.client_id,
    };
    if (entry.reply_to) data.reply_to = entry.reply_to.id;
    this.armIfSent(entry.client_id, this.deps.transmit({ type: "send_message", data }));
  }

  private transmitAction(action: PendingAction): void {
    this.armIfSent(action.client_id, this.deps.transmit(actionFrame(action)));
  }

  private armIfSent(clientId: string, sent: boolean): void {
    if (sent) this.acks.arm(clientId, () => this.fail(clientId, "No answer from the server", true));
  }

  private patch(clientId: string, patch: Entry): void {
    this.deps.update((r) => {
      const inOutbox = r.outbox.some((m) => m.client_id === clientId);
      const inActions = r.actions.some((a) => a.client_id === clientId);
      if (!inOutbox && !inActions) return r;
      return {
        ...r,
        outbox: inOutbox ? r.outbox.map((m) => (m.client_id === clientId ? { ...m, ...patch } : m)) : r.outbox,
        actions: inActions ? r.actions.map((a) => (a.client_id === clientId ? { ...a, ...patch } : a)) : r.actions,
      };
    });
  }
}

function fresh(): Entry {
  return { state: "pending", error: null, retryable: true };
}
