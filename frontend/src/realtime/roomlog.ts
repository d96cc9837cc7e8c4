// Everything the server says about a room's messages goes into the store through here: the
// `connected` snapshot and its `changes`, live new messages and updates, pages of the log
// (`GET …/events`), older history, and the window of history around a message far from the
// live end (`RoomState.jump`). It keeps the log cursor (the next since_seq), the version of
// each message, reply quotes and the room list's preview in step.
import { LogCursor, MessageVersions, refreshReplies, replaceKnown } from "./events";
import { joinRuns, mergeBySeq } from "./history";
import type { ConnectedData, EventPage, Message, MessageUpdated } from "./protocol";
import type { JumpWindow, RoomState, Store } from "./store";

let nextWindowId = 1;

export class RoomLog {
  private readonly versions = new MessageVersions();
  private readonly cursor: LogCursor;

  constructor(
    private readonly store: Store,
    private readonly roomId: string,
  ) {
    this.cursor = new LogCursor(
      () => this.room().lastSeq,
      (seq) => this.update((r) => ({ ...r, lastSeq: seq })),
    );
  }

  /** Where the next connection starts (since_seq): null before the first `connected`. */
  since(): number | null {
    return this.room().lastSeq;
  }

  /**
   * The snapshot of a new connection: recent messages and changes are the newest state as of
   * `last_seq`. With `recovered: false` it is incomplete, and the cursor stays where it was
   * until the rest is read (`page`). Returns every message state it carried.
   */
  connected(data: ConnectedData): Message[] {
    const changed = (data.changes ?? []).map((c) => c.message);
    const states = [...data.recent_messages, ...changed];
    const lastSeq = data.last_seq ?? Math.max(0, ...states.map((m) => m.seq));
    this.applyStates(states, lastSeq);
    if (data.recovered !== false) this.cursor.reach(lastSeq);
    this.touchSummary(states, lastSeq);
    // The first live run may meet a window read before it; if not, the window reads on to it.
    this.update((r) => {
      const joined = joinWindow(r);
      return joined.jump?.atEnd ? { ...joined, jump: { ...joined.jump, atEnd: false } } : joined;
    });
    return states;
  }

  /** A live `new_message` or our own `message_sent`: a message already shown stays as it is. */
  message(message: Message): void {
    this.cursor.saw(message.seq);
    this.update((r) => {
      const messages = mergeBySeq(r.messages, [message]);
      return messages === r.messages ? r : { ...r, messages };
    });
    this.touchSummary([message], message.seq);
  }

  /** A live `message_updated`: the message is replaced by its new state. */
  updated(data: MessageUpdated): void {
    if (data.seq !== null) this.cursor.saw(data.seq);
    this.applyStates([data.message], data.seq);
    this.touchSummary([data.message], data.seq ?? 0);
  }

  /** One page of the log, each message in its newest state as of `page.last_seq`. */
  page(page: EventPage, after: number): Message[] {
    const states = page.events.map((e) => e.data.message);
    this.applyStates(states, page.last_seq);
    const lastEvent = page.events[page.events.length - 1]?.seq ?? after;
    this.cursor.reach(page.has_more ? lastEvent : Math.max(lastEvent, page.last_seq));
    this.touchSummary(states, page.last_seq);
    return states;
  }

  /**
   * Reads the log after `from` page by page until its end, while `current()` (the connection
   * that asked is still the one). From where the connection started, not from the last message
   * of its `connected` frame: re-reading what the frame carried changes nothing, and however the
   * server chose "the 1,000 oldest", no event is skipped. False when a page could not be read.
   */
  async catchUp(
    from: number,
    fetchEvents: (after: number) => Promise<EventPage>,
    current: () => boolean,
    applied: (states: Message[]) => void,
  ): Promise<boolean> {
    let after = from;
    for (;;) {
      let page: EventPage;
      try {
        page = await fetchEvents(after);
      } catch {
        return false;
      }
      if (!current()) return true;
      applied(this.page(page, after));
      const last = page.events[page.events.length - 1]?.seq;
      if (!page.has_more || last === undefined || last <= after) return true;
      after = last;
    }
  }

  /** Older history (`before_seq`): current states of messages not loaded yet. */
  older(messages: readonly Message[]): void {
    const page = this.versions.current(messages);
    this.update((r) => ({ ...r, messages: mergeBySeq(r.messages, page), loadingOlder: false }));
  }

  /**
   * The history around a message (`before_seq` and `after_seq` pages): it joins the live run
   * when the two overlap, else it is shown apart, a new window. `reachedEnd`: the server had
   * nothing newer.
   */
  window(messages: readonly Message[], reachedEnd: boolean): void {
    const page = mergeBySeq([], this.versions.current(messages));
    const id = nextWindowId++;
    this.update((r) => {
      const atEnd = reachedEnd && r.messages.length === 0;
      return joinWindow({ ...r, jump: { id, messages: page, loadingOlder: false, loadingNewer: false, atEnd } });
    });
  }

  /** A page before (`older`) or after the window `id`; a newer one may bring it to the live run. */
  extendWindow(id: number, direction: "older" | "newer", messages: readonly Message[], reachedEnd = false): void {
    const page = this.versions.current(messages);
    this.updateWindow(id, (r, jump) => {
      const merged = mergeBySeq(jump.messages, page);
      if (direction === "older") return { ...r, jump: { ...jump, messages: merged, loadingOlder: false } };
      // Nothing after the window, yet the live run starts after it: they meet, whatever the seqs say.
      if (reachedEnd && page.length === 0 && r.messages.length > 0) {
        return { ...r, messages: mergeBySeq(r.messages, jump.messages), jump: null };
      }
      const grown = { ...jump, messages: merged, loadingNewer: false, atEnd: reachedEnd && r.messages.length === 0 };
      return joinWindow({ ...r, jump: grown });
    });
  }

  windowLoading(id: number, direction: "older" | "newer", loading: boolean): void {
    const field = direction === "older" ? "loadingOlder" : "loadingNewer";
    this.updateWindow(id, (r, jump) => (jump[field] === loading ? r : { ...r, jump: { ...jump, [field]: loading } }));
  }

  /** Back to the live run. */
  leaveWindow(): void {
    this.update((r) => (r.jump === null ? r : { ...r, jump: null }));
  }

  /** The connection is gone: events seen ahead of a gap are sent again after since_seq. */
  disconnected(): void {
    this.cursor.reset();
  }

  private applyStates(states: readonly Message[], version: number | null): void {
    if (states.length === 0) return;
    this.update((r) => {
      const { messages: applied, accepted } = this.versions.apply(r.messages, states, version);
      // A reply's parent may be older than the loaded window: its quote follows all the same.
      const messages = refreshReplies(applied, accepted);
      const outbox = refreshReplies(r.outbox, accepted);
      // The window shows older messages: they change too, but a new message never lands in it.
      const jump = r.jump && withMessages(r.jump, refreshReplies(replaceKnown(r.jump.messages, accepted), accepted));
      return messages === r.messages && outbox === r.outbox && jump === r.jump ? r : { ...r, messages, outbox, jump };
    });
  }

  private updateWindow(id: number, fn: (room: RoomState, jump: JumpWindow) => RoomState): void {
    this.update((r) => (r.jump === null || r.jump.id !== id ? r : fn(r, r.jump)));
  }

  private room(): RoomState {
    return this.store.room(this.roomId);
  }

  private update(fn: (room: RoomState) => RoomState): void {
    this.store.updateRoom(this.roomId, fn);
  }

  /** The room list shows the newest message in its current state. */
  private touchSummary(states: readonly Message[], seq: number): void {
    if (states.length === 0) return;
    const shown = this.room().messages;
    const newest = shown[shown.length - 1];
    this.store.patchRoomSummary(this.roomId, (s) => {
      const lastSeq = Math.max(s.last_seq, seq, newest?.seq ?? 0);
      let last = s.last_message;
      if (newest !== undefined && (last === null || newest.seq >= last.seq)) last = newest;
      else if (last !== null) last = states.find((m) => m.id === last?.id) ?? last;
      return last === s.last_message && lastSeq === s.last_seq ? s : { ...s, last_message: last, last_seq: lastSeq };
    });
  }
}

function withMessages(jump: JumpWindow, messages: Message[]): JumpWindow {
  return messages === jump.messages ? jump : { ...jump, messages };
}

/** A window that overlaps the live run becomes part of it: one run, the live room as usual. */
function joinWindow(room: RoomState): RoomState {
  if (room.jump === null) return room;
  const joined = joinRuns(room.messages, room.jump.messages);
  return joined === null ? room : { ...room, messages: joined, jump: null };
}
