// A room's history over REST, for the run on screen: older pages above it, and the jump to a
// message far from the live end (a search result, the original of a reply). A jump reads the
// page just before and the page just after the message: a window of its own (`RoomState.jump`)
// that the reader pages both ways, older with before_seq, newer with after_seq until it meets
// the live run and becomes part of it (`RoomLog`). The one way to "show the room at this message".
import { covers, hasOlder } from "./history";
import type { RoomFetchers } from "./options";
import type { RoomLog } from "./roomlog";
import type { JumpWindow, RoomState, Store } from "./store";

export const HISTORY_PAGE = 50;
/** Messages read on each side of the one jumped to. */
export const AROUND = 25;

let nextFocus = 1;

export class Scrollback {
  /** Bumped by every jump and by going back to the newest: answers for an older jump are dropped. */
  private jumps = 0;

  constructor(
    private readonly store: Store,
    private readonly roomId: string,
    private readonly log: RoomLog,
    private readonly fetchPage: RoomFetchers["fetchPage"],
  ) {}

  /** The page above the first message on screen. */
  async older(): Promise<void> {
    const room = this.room();
    if (room.jump !== null) return this.olderInWindow(room.jump);
    const first = room.messages[0];
    if (room.loadingOlder || first === undefined || !hasOlder(room.messages)) return;
    this.update((r) => ({ ...r, loadingOlder: true }));
    try {
      const page = await this.fetchPage(this.roomId, { before: first.seq, limit: HISTORY_PAGE });
      this.log.older(page.messages);
    } catch {
      this.update((r) => ({ ...r, loadingOlder: false, notice: "Could not load older messages." }));
    }
  }

  /** The page below the window; nothing to do on the live run, which the server keeps current. */
  async newer(): Promise<void> {
    const jump = this.room().jump;
    const last = jump?.messages[jump.messages.length - 1];
    if (!jump || !last || jump.loadingNewer || jump.atEnd) return;
    this.log.windowLoading(jump.id, "newer", true);
    try {
      const page = await this.fetchPage(this.roomId, { after: last.seq, limit: HISTORY_PAGE });
      this.log.extendWindow(jump.id, "newer", page.messages, !page.has_more);
    } catch {
      this.log.windowLoading(jump.id, "newer", false);
      this.update((r) => ({ ...r, notice: "Could not load newer messages." }));
    }
  }

  /**
   * Show the room at the message `seq`, highlighted: at once when it is loaded, else after
   * reading the history around it.
   */
  async jumpTo(seq: number): Promise<void> {
    const run = ++this.jumps;
    this.update((r) => ({ ...r, focus: { seq, nonce: nextFocus++ } }));
    const room = this.room();
    if (room.jump !== null && covers(room.jump.messages, seq)) return;
    if (covers(room.messages, seq)) {
      this.log.leaveWindow();
      return;
    }
    try {
      const [before, after] = await Promise.all([
        this.fetchPage(this.roomId, { before: seq + 1, limit: AROUND }),
        this.fetchPage(this.roomId, { after: seq, limit: AROUND }),
      ]);
      if (run !== this.jumps) return;
      const around = [...before.messages, ...after.messages];
      if (around.length === 0) {
        this.update((r) => ({ ...r, focus: null, notice: "That message is no longer in this room." }));
        return;
      }
      this.log.window(around, !after.has_more);
    } catch {
      if (run !== this.jumps) return;
      this.update((r) => ({ ...r, focus: null, notice: "Could not load the messages around that one." }));
    }
  }

  /** Back to the newest messages (the live run), whatever jump was on its way. */
  leave(): void {
    this.jumps++;
    this.log.leaveWindow();
  }

  private async olderInWindow(jump: JumpWindow): Promise<void> {
    const first = jump.messages[0];
    if (jump.loadingOlder || first === undefined || !hasOlder(jump.messages)) return;
    this.log.windowLoading(jump.id, "older", true);
    try {
      const page = await this.fetchPage(this.roomId, { before: first.seq, limit: HISTORY_PAGE });
      this.log.extendWindow(jump.id, "older", page.messages);
    } catch {
      this.log.windowLoading(jump.id, "older", false);
      this.update((r) => ({ ...r, notice: "Could not load older messages." }));
    }
  }

  private room(): RoomState {
    return this.store.room(this.roomId);
  }

  private update(fn: (room: RoomState) => RoomState): void {
    this.store.updateRoom(this.roomId, fn);
  }
}
