// The room's event log on the client (SPEC §4a): new messages and message updates share one
// `seq`. `LogCursor` knows up to where the log is applied without a gap (the next since_seq);
// `MessageVersions` applies message states so that an older one never replaces a newer one;
// `refreshReplies` keeps the quotes of loaded replies in step with their parents.
import { replySnippet, type Message, type ReplyRef } from "./protocol";

/**
 * The highest seq up to which every event of the room was applied. Live events arrive in
 * seq order, except our own `message_sent`, which may overtake another sender's earlier
 * `new_message`: a seq ahead of a gap waits in `ahead` until the gap fills, so reconnecting
 * with `since_seq` never skips an event that was still missing when the connection dropped.
 */
export class LogCursor {
  private readonly ahead = new Set<number>();

  constructor(
    private readonly read: () => number | null,
    private readonly write: (seq: number) => void,
  ) {}

  /** Everything up to `seq` is applied: a `connected` snapshot, or a page of the log. */
  reach(seq: number): void {
    const high = this.read();
    let next = high === null ? seq : Math.max(high, seq);
    for (const s of this.ahead) if (s <= next) this.ahead.delete(s);
    while (this.ahead.delete(next + 1)) next++;
    if (next !== high) this.write(next);
  }

  /** One live event. */
  saw(seq: number): void {
    const high = this.read();
    if (high !== null && seq <= high) return;
    if (high !== null && seq === high + 1) this.reach(seq);
    else this.ahead.add(seq);
  }

  /** The connection is gone: the next one resends everything after the cursor. */
  reset(): void {
    this.ahead.clear();
  }
}

/**
 * Which state of each message was applied last, as the seq of the newest event it reflects.
 * A state replaces the shown one only when it is at least as new: a recovery page read before
 * a live edit arrived cannot undo the edit.
 */
export class MessageVersions {
  private readonly seen = new Map<string, number>();
  /**
   * The newest state of messages outside the loaded run when it arrived: a page of history
   * read before that change reaches us after it, and must not bring the older state back.
   */
  private readonly parked = new Map<string, Message>();

  /**
   * `states` merged into `existing` (ascending by seq), each taken when `version` (the seq of
   * the newest event it reflects; null: "as it stands now", from our own connection) is not
   * older than what is shown. A message older than the loaded window is not inserted: it is
   * paged in with its current state when the reader scrolls up. `messages` is the same array
   * when nothing changed; `accepted` the states that were not outdated.
   */
  apply(
    existing: readonly Message[],
    states: readonly Message[],
    version: number | null,
  ): { messages: Message[]; accepted: Message[] } {
    const accepted: Message[] = [];
    const first = existing[0]?.seq;
    const current = new Map<string, Message>();
    for (const m of existing) current.set(m.id, m);
    let changed = false;
    let inserted = false;
    for (const state of states) {
      const known = current.get(state.id);
      const baseline = this.seen.get(state.id) ?? known?.seq ?? state.seq;
      const v = version ?? baseline;
      if (v < baseline) continue;
      this.seen.set(state.id, v);
      accepted.push(state);
      if (known === undefined && first !== undefined && state.seq < first) {
        this.park(state);
        continue;
      }
      if (known !== undefined && sameState(known, state)) continue;
      current.set(state.id, state);
      changed = true;
      inserted ||= known === undefined;
    }
    if (!changed) return { messages: existing as Message[], accepted };
    if (!inserted) return { messages: existing.map((m) => current.get(m.id) ?? m), accepted };
    return { messages: [...current.values()].sort((a, b) => a.seq - b.seq), accepted };
  }

  /** A page of history as it stands now: messages changed since they were parked take that state. */
  current(page: readonly Message[]): Message[] {
    if (this.parked.size === 0) return page as Message[];
    return page.map((m) => {
      const state = this.parked.get(m.id);
      if (state === undefined) return m;
      this.parked.delete(m.id);
      return state;
    });
  }

  private park(state: Message): void {
    this.parked.delete(state.id);
    this.parked.set(state.id, state);
    // Bounded: the oldest parked state goes first (a reader rarely pages that far back).
    if (this.parked.size > MAX_PARKED) this.parked.delete(this.parked.keys().next().value as string);
  }
}

const MAX_PARKED = 1000;

/** The messages of `existing` that are among `states` take that state; nothing is inserted. */
export function replaceKnown(existing: Message[], states: readonly Message[]): Message[] {
  if (existing.length === 0 || states.length === 0) return existing;
  const byId = new Map<string, Message>();
  for (const s of states) byId.set(s.id, s);
  let changed = false;
  const next = existing.map((m) => {
    const state = byId.get(m.id);
    if (state === undefined || sameState(m, state)) return m;
    changed = true;
    return state;
  });
  return changed ? next : existing;
}

export function sameState(a: Message, b: Message): boolean {
  return (
    a.content === b.content &&
    a.deleted === b.deleted &&
    a.edited_at === b.edited_at &&
    JSON.stringify(a.reactions ?? []) === JSON.stringify(b.reactions ?? []) &&
    JSON.stringify(a.reply_to ?? null) === JSON.stringify(b.reply_to ?? null)
  );
}

/** Replies whose parent is among `parents` quote the parent's current text ("" once deleted). */
export function refreshReplies<T extends { reply_to: ReplyRef | null }>(items: T[], parents: readonly Message[]): T[] {
  if (items.length === 0 || parents.length === 0) return items;
  const byId = new Map<string, Message>();
  for (const p of parents) byId.set(p.id, p);
  let changed = false;
  const next = items.map((item) => {
    const ref = item.reply_to;
    const parent = ref ? byId.get(ref.id) : undefined;
    if (!ref || parent === undefined) return item;
    const content = replySnippet(parent);
    if (ref.content === content) return item;
    changed = true;
    return { ...item, reply_to: { ...ref, content } };
  });
  return changed ? next : items;
}
