// A room's confirmed messages: always ascending by `seq`, each seq once. Live frames, recovery
// after a reconnect and older pages all go through `mergeBySeq`, so nothing shows twice.
import type { Message } from "./protocol";

export function mergeBySeq(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return existing as Message[];
  const last = existing[existing.length - 1];
  // Fast path: the live stream appends in order.
  if (last !== undefined && isAscending(incoming) && (incoming[0]?.seq ?? 0) > last.seq) {
    return [...existing, ...incoming];
  }
  const bySeq = new Map<number, Message>();
  for (const message of existing) bySeq.set(message.seq, message);
  let changed = false;
  for (const message of incoming) {
    if (!bySeq.has(message.seq)) {
      bySeq.set(message.seq, message);
      changed = true;
    }
  }
  if (!changed) return existing as Message[];
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function isAscending(messages: readonly Message[]): boolean {
  for (let i = 1; i < messages.length; i++) {
    if ((messages[i]?.seq ?? 0) <= (messages[i - 1]?.seq ?? 0)) return false;
  }
  return true;
}

/**
 * The highest seq up to which the loaded run is unbroken, or null when nothing is loaded.
 * Reconnecting with this as `since_seq` cannot skip a message that arrived out of order
 * (our own `message_sent` may come before another sender's earlier `new_message`).
 */
export function contiguousHighSeq(messages: readonly Message[]): number | null {
  const first = messages[0];
  if (first === undefined) return null;
  let high = first.seq;
  for (let i = 1; i < messages.length; i++) {
    const seq = messages[i]?.seq ?? 0;
    if (seq !== high + 1) break;
    high = seq;
  }
  return high;
}

/** Seqs start at 1 without gaps, so older history exists exactly when the first loaded seq is above 1. */
export function hasOlder(messages: readonly Message[]): boolean {
  const first = messages[0];
  return first !== undefined && first.seq > 1;
}
