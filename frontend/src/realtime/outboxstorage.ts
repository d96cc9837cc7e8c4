// The outbox outlives the page: each room's unconfirmed messages are kept in the browser's
// storage, per user, written on every change (so a crash loses nothing that was on screen) and
// put back after a reload, where the room's next subscription sends them again with their
// client_id. The server stores a client_id once (SPEC §4 "Idempotent send"), and a message it
// already committed comes back in `subscribed`, which settles the entry without a resend.
import type { OutgoingMessage, RoomState, Store, KeyValueStorage } from "./store";

export const OUTBOX_PREFIX = "roomcast.outbox.";

type Saved = Record<string, OutgoingMessage[]>;

export function outboxKey(userId: string): string {
  return OUTBOX_PREFIX + userId;
}

/** The entries worth keeping, by room: every unconfirmed message of every room in the store. */
export function outboxSnapshot(roomStates: Readonly<Record<string, RoomState>>): Saved {
  const saved: Saved = {};
  for (const [roomId, room] of Object.entries(roomStates)) if (room.outbox.length > 0) saved[roomId] = room.outbox;
  return saved;
}

/**
 * What to write: this tab's rooms as they are now (a room it knows with an empty outbox drops
 * out), other rooms as another tab left them. Two tabs sending one entry twice is harmless:
 * the second send of a client_id is answered with the first one's message.
 */
export function mergeSaved(stored: Saved, known: readonly string[], mine: Saved): Saved {
  const merged: Saved = {};
  for (const [roomId, entries] of Object.entries(stored)) if (!known.includes(roomId)) merged[roomId] = entries;
  return { ...merged, ...mine };
}

/** Entries restored into a room that may hold some already (same client_id: the one on screen wins). */
export function withRestored(outbox: readonly OutgoingMessage[], saved: readonly OutgoingMessage[]): OutgoingMessage[] {
  const have = new Set(outbox.map((m) => m.client_id));
  const added = saved.filter((m) => isEntry(m) && !have.has(m.client_id));
  return added.length === 0 ? (outbox as OutgoingMessage[]) : [...outbox, ...added].sort((a, b) => a.created_at - b.created_at);
}

function isEntry(value: unknown): value is OutgoingMessage {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<OutgoingMessage>;
  return typeof v.client_id === "string" && typeof v.content === "string" && typeof v.created_at === "number";
}

export function hasPending(outbox: readonly OutgoingMessage[] | undefined): boolean {
  return (outbox ?? []).some((m) => m.state === "pending");
}

/**
 * Rooms whose restored messages are still pending, held open on the socket (`hold` subscribes,
 * the returned function lets go) until none is pending or the room refuses us: a reload sends
 * every room's messages, not only the one on screen. The function returned stops early.
 */
export function deliverPending(
  store: Store,
  roomIds: readonly string[],
  hold: (roomId: string) => { release(): void; refused(): boolean },
): () => void {
  const held = new Map(roomIds.map((id) => [id, hold(id)] as const));
  let unsubscribe: () => void = () => undefined;
  const release = (id: string) => {
    held.get(id)?.release();
    held.delete(id);
  };
  const check = () => {
    const { roomStates } = store.getState();
    for (const [id, holder] of held) if (!hasPending(roomStates[id]?.outbox) || holder.refused()) release(id);
    if (held.size === 0) unsubscribe();
  };
  unsubscribe = store.subscribe(check);
  check();
  return () => {
    unsubscribe();
    for (const id of [...held.keys()]) release(id);
  };
}

export class SavedOutbox {
  constructor(
    private readonly store: Store,
    private readonly storage: KeyValueStorage | null,
  ) {}

  /**
   * Put this user's saved messages back into their rooms (pending ones go out once subscribed):
   * the rooms that have some pending.
   */
  restore(userId: string): string[] {
    const saved = this.load(userId);
    const pending: string[] = [];
    for (const [roomId, entries] of Object.entries(saved)) {
      if (!Array.isArray(entries)) continue;
      this.store.updateRoom(roomId, (r) => {
        const outbox = withRestored(r.outbox, entries);
        return outbox === r.outbox ? r : { ...r, outbox };
      });
      if (hasPending(this.store.getState().roomStates[roomId]?.outbox)) pending.push(roomId);
    }
    return pending;
  }

  /** Write every change of this user's outboxes until the returned function is called. */
  follow(userId: string): () => void {
    let last: Readonly<Record<string, RoomState>> | null = null;
    let lastOutboxes = new Map<string, readonly OutgoingMessage[]>();
    const onChange = () => {
      const { session, roomStates } = this.store.getState();
      // Signed out or expired: the store forgot the rooms, the saved messages wait for this user.
      if (session?.user.id !== userId || roomStates === last) return;
      last = roomStates;
      const outboxes = new Map(Object.entries(roomStates).map(([id, r]) => [id, r.outbox] as const));
      const changed =
        outboxes.size !== lastOutboxes.size || [...outboxes].some(([id, outbox]) => lastOutboxes.get(id) !== outbox);
      lastOutboxes = outboxes;
      if (changed) this.write(userId, mergeSaved(this.load(userId), [...outboxes.keys()], outboxSnapshot(roomStates)));
    };
    onChange();
    return this.store.subscribe(onChange);
  }

  /** Logging out on purpose forgets them, as it forgets drafts. */
  clear(userId: string): void {
    try {
      this.storage?.removeItem(outboxKey(userId));
    } catch {
      // storage disabled: nothing was kept
    }
  }

  private load(userId: string): Saved {
    try {
      const text = this.storage?.getItem(outboxKey(userId));
      const parsed: unknown = text ? JSON.parse(text) : null;
      return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Saved) : {};
    } catch {
      return {};
    }
  }

  private write(userId: string, saved: Saved): void {
    try {
      if (Object.keys(saved).length === 0) this.storage?.removeItem(outboxKey(userId));
      else this.storage?.setItem(outboxKey(userId), JSON.stringify(saved));
    } catch {
      // storage full or disabled: the messages are still pending in this tab
    }
  }
}
