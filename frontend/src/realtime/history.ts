// A room's confirmed messages: always ascending by `seq`, each seq once, a run without holes
// (every message between the first and the last is there). Live new messages and older pages
// go through `mergeBySeq`, so nothing shows twice; newer states of messages already shown
// (edits, deletes, reactions) replace them through `MessageVersions` (events.ts). A window of
// history far from the live end (a jump to a message) is a run of its own until it overlaps
// the live one: `joinRuns`.
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
 * The room's first event (seq 1) is always a message, and deleted messages keep their seq as a
 * tombstone: older history exists exactly when the first loaded seq is above 1.
 */
export function hasOlder(messages: readonly Message[]): boolean {
  const first = messages[0];
  return first !== undefined && first.seq > 1;
}

/** The run reaches `seq`: a message with that seq, if the room has one, is loaded. */
export function covers(messages: readonly Message[], seq: number): boolean {
  const first = messages[0];
  const last = messages[messages.length - 1];
  return first !== undefined && last !== undefined && first.seq <= seq && seq <= last.seq;
}

/**
 * Two runs of the room's messages as one, once they overlap: then no message can lie between
 * them. Null while they do not (seqs have gaps, updates take seqs too: runs that merely look
 * adjacent may not be). Where both hold a message, `live`'s state stays: it is kept current.
 */
export function joinRuns(live: readonly Message[], window: readonly Message[]): Message[] | null {
  const liveFirst = live[0];
  const windowFirst = window[0];
  const liveLast = live[live.length - 1];
  const windowLast = window[window.length - 1];
  if (!liveFirst || !windowFirst || !liveLast || !windowLast) return null;
  if (windowLast.seq < liveFirst.seq || liveLast.seq < windowFirst.seq) return null;
  return mergeBySeq(live, window);
}
