// Typing indicators, both ways: who else is typing (with a local expiry in case a stop frame
// is lost) and when to tell the server that we are.
import type { UserRef } from "./protocol";
import { TYPING_TIMEOUT_MS } from "./protocol";
import type { Clock } from "./clock";

/** Other users typing in a room. A user disappears on stop, or `expireMs` after their last start. */
export class TypingTracker {
  private readonly timers = new Map<string, { user: UserRef; timer: unknown }>();

  constructor(
    private readonly clock: Clock,
    private readonly onChange: (users: UserRef[]) => void,
    private readonly expireMs = TYPING_TIMEOUT_MS + 1000,
  ) {}

  start(user: UserRef): void {
    const existing = this.timers.get(user.user_id);
    if (existing) this.clock.clearTimeout(existing.timer);
    const timer = this.clock.setTimeout(() => this.stop(user.user_id), this.expireMs);
    this.timers.set(user.user_id, { user, timer });
    if (!existing) this.emit();
  }

  stop(userId: string): void {
    const existing = this.timers.get(userId);
    if (!existing) return;
    this.clock.clearTimeout(existing.timer);
    this.timers.delete(userId);
    this.emit();
  }

  clear(): void {
    if (this.timers.size === 0) return;
    for (const { timer } of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.emit();
  }

  users(): UserRef[] {
    return [...this.timers.values()].map((entry) => entry.user);
  }

  private emit(): void {
    this.onChange(this.users());
  }
}

/**
 * Our own typing: `typing_start` when input begins (repeated every `refreshMs` while it goes on,
 * so the server's timeout does not fire), `typing_stop` after `idleMs` without input or when
 * the box is emptied. Sending a message stops typing on the server by itself.
 */
export class TypingNotifier {
  private active = false;
  private lastStart = 0;
  private idleTimer: unknown = null;

  constructor(
    private readonly clock: Clock,
    private readonly sendFrame: (type: "typing_start" | "typing_stop") => boolean,
    private readonly idleMs = 3000,
    private readonly refreshMs = 3000,
  ) {}

  input(text: string): void {
    if (text.trim() === "") {
      this.stop();
      return;
    }
    const now = this.clock.now();
    if (!this.active || now - this.lastStart >= this.refreshMs) {
      if (this.sendFrame("typing_start")) {
        this.active = true;
        this.lastStart = now;
      }
    }
    this.clearIdle();
    if (this.active) this.idleTimer = this.clock.setTimeout(() => this.stop(), this.idleMs);
  }

  stop(): void {
    this.clearIdle();
    if (!this.active) return;
    this.active = false;
    this.sendFrame("typing_stop");
  }

  /** A message was sent (the server ends typing itself) or the connection dropped. */
  reset(): void {
    this.clearIdle();
    this.active = false;
  }

  get isActive(): boolean {
    return this.active;
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

/** "alice is typing…", "alice and bob are typing…", "alice, bob and carol are typing…". */
export function typingLabel(names: readonly string[]): string {
  const [a, b, c] = names;
  if (a === undefined) return "";
  if (b === undefined) return `${a} is typing…`;
  if (c === undefined) return `${a} and ${b} are typing…`;
  if (names.length === 3) return `${a}, ${b} and ${c} are typing…`;
  return `${a}, ${b} and ${names.length - 2} others are typing…`;
}
