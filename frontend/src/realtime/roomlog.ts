// Everything the server says about a room's messages goes into the store through here: the
// `connected` snapshot and its `changes`, live new messages and updates, pages of the log
// (`GET …/events`) and older history. It keeps the log cursor (the next since_seq), the
// version of each message, reply quotes and the room list's preview in step.
import { LogCursor, MessageVersions, refreshReplies } from "./events";
import { mergeBySeq } from "./history";
import type { ConnectedData, EventPage, Message, MessageUpdated } from "./protocol";
import type { RoomState, Store } from "./store";

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
    this.update((r) => ({ ...r, messages: mergeBySeq(r.messages, messages), loadingOlder: false }));
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
      return messages === r.messages && outbox === r.outbox ? r : { ...r, messages, outbox };
    });
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
