// Test doubles for the realtime modules: a manual clock, a scripted WebSocket, an in-memory storage.
import type { Clock } from "./clock";
import type { SocketLike } from "./options";
import type { Message } from "./protocol";
import type { KeyValueStorage } from "./store";

export class MemoryStorage implements KeyValueStorage {
  readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
}

export class FakeClock implements Clock {
  private time = 1_000_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Move time forward, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
  }

  get pending(): number {
    return this.timers.size;
  }
}

export class FakeSocket implements SocketLike {
  readonly sent: { type: string; data: Record<string, unknown> }[] = [];
  closed: { code?: number; reason?: string } | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data) as { type: string; data: Record<string, unknown> });
  }

  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }

  receive(type: string, data: unknown): void {
    this.onmessage?.({ data: JSON.stringify({ type, data }) });
  }

  serverClose(code: number, reason = ""): void {
    this.onclose?.({ code, reason });
  }

  sentOf(type: string): Record<string, unknown>[] {
    return this.sent.filter((f) => f.type === type).map((f) => f.data);
  }

  get token(): string | null {
    return new URL(this.url).searchParams.get("token");
  }
}

export function message(seq: number, sender = "u-bob", extra: Partial<Message> = {}): Message {
  return {
    id: `m-${seq}`,
    room_id: "room-1",
    seq,
    sender_id: sender,
    sender_username: sender.replace(/^u-/, ""),
    content: `message ${seq}`,
    client_id: null,
    created_at: new Date(Date.UTC(2024, 0, 1, 12, 0, seq)).toISOString(),
    edited_at: null,
    deleted: false,
    reply_to: null,
    reactions: [],
    ...extra,
  };
}

/**
 * `GET /api/rooms/{id}/messages` over a room's messages, as the server answers it: ascending;
 * `before` the newest below it, `after` the oldest above it, else the newest.
 */
export function messagePage(
  all: readonly Message[],
  page: { before?: number; after?: number; limit?: number },
): { messages: Message[]; has_more: boolean } {
  const limit = page.limit ?? 50;
  const sorted = [...all].sort((a, b) => a.seq - b.seq);
  if (page.after !== undefined) {
    const after = page.after;
    const newer = sorted.filter((m) => m.seq > after);
    return { messages: newer.slice(0, limit), has_more: newer.length > limit };
  }
  const before = page.before;
  const older = before === undefined ? sorted : sorted.filter((m) => m.seq < before);
  return { messages: older.slice(-limit), has_more: older.length > limit };
}
