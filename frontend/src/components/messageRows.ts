// The rows of the message list, as data: a pure function of the run on screen, so that the
// list (MessageList) only lays them out. Per-message dates are read once and remembered, so
// a room with 10,000 loaded messages costs a plain loop when one more arrives.
import type { Message } from "../realtime/protocol";
import type { OutgoingMessage } from "../realtime/store";

export const GROUP_WINDOW_MS = 5 * 60 * 1000;

export type Row =
  | {
      kind: "message";
      key: string;
      message: Message;
      /** Same sender, minutes apart: shown without the avatar and name again. */
      grouped: boolean;
      /** The first message of its day: the day's divider goes above it. */
      dayStart: boolean;
      /** The first message unread when the room was entered: "New messages" above it. */
      unreadStart: boolean;
    }
  | { kind: "outbox"; key: string; entry: OutgoingMessage };

interface Stamp {
  time: number;
  day: number;
}

const stamps = new WeakMap<Message, Stamp>();

function stamp(message: Message): Stamp {
  let known = stamps.get(message);
  if (known === undefined) {
    const date = new Date(message.created_at);
    known = { time: date.getTime(), day: date.getFullYear() * 512 + date.getMonth() * 32 + date.getDate() };
    stamps.set(message, known);
  }
  return known;
}

/**
 * The first message after `readSeq` written by someone else: where reading starts again.
 * Null when there is none loaded (or `readSeq` is null: nothing was unread).
 */
export function firstUnread(messages: readonly Message[], readSeq: number | null, myId: string | null): Message | null {
  if (readSeq === null) return null;
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((messages[mid]?.seq ?? 0) > readSeq) hi = mid;
    else lo = mid + 1;
  }
  for (let i = lo; i < messages.length; i++) {
    const m = messages[i];
    if (m && m.sender_id !== myId && !m.deleted) return m;
  }
  return null;
}

export function buildRows(
  messages: readonly Message[],
  outbox: readonly OutgoingMessage[],
  unreadSeq: number | null,
): Row[] {
  const rows: Row[] = new Array(messages.length + outbox.length);
  let prev: Message | null = null;
  let prevStamp: Stamp | null = null;
  let i = 0;
  for (const message of messages) {
    const s = stamp(message);
    const dayStart = prevStamp === null || prevStamp.day !== s.day;
    const unreadStart = message.seq === unreadSeq;
    const grouped =
      prev !== null &&
      prevStamp !== null &&
      !dayStart &&
      !unreadStart &&
      !message.reply_to &&
      !prev.deleted &&
      prev.sender_id === message.sender_id &&
      s.time - prevStamp.time < GROUP_WINDOW_MS;
    rows[i++] = { kind: "message", key: `m${message.seq}`, message, grouped, dayStart, unreadStart };
    prev = message;
    prevStamp = s;
  }
  for (const entry of outbox) rows[i++] = { kind: "outbox", key: `o${entry.client_id}`, entry };
  return rows;
}

/**
 * The row to show for `seq`: its message, else the first message after it (the seq of an
 * update, a message gone); -1 when the run does not reach that far back or forward.
 */
export function rowIndexAt(rows: readonly Row[], seq: number): number {
  const first = rows[0];
  if (first?.kind !== "message" || first.message.seq > seq) return -1;
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const row = rows[mid];
    if (row && row.kind === "message" && row.message.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  const row = rows[lo];
  return row && row.kind === "message" ? lo : -1;
}

/** Messages from others after `seq`, counted from the end (the ones below the reader). */
export function countAfter(messages: readonly Message[], seq: number, myId: string | null): number {
  let count = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!m || m.seq <= seq) break;
    if (m.sender_id !== myId) count++;
  }
  return count;
}
