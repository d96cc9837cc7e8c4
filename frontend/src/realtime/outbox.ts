// Messages on their way out: the rules that take one out of the outbox, and the per-message
// confirmation timers.
import type { Clock } from "./clock";
import type { Message, UserRef } from "./protocol";
import type { OutgoingMessage } from "./store";

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
