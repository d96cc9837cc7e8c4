// The room's messages, virtualised (react-virtuoso): only the rows in and near the viewport are
// in the page, each memoised, so a room with thousands of loaded messages stays fast. Older
// pages load above as the reader scrolls up (`firstItemIndex` keeps their place), the list
// sticks to the bottom while they are there, and a jump (search, a reply's original) brings
// its message into view, highlighted.
import { forwardRef, useCallback, useEffect, useMemo, useRef, useState, type HTMLAttributes } from "react";
import { Virtuoso, type ListProps, type ItemProps, type VirtuosoHandle } from "react-virtuoso";
import { useAppState } from "../hooks";
import type { Message, ReplyRef } from "../realtime/protocol";
import type { OutgoingMessage, PendingAction } from "../realtime/store";
import type { MessageHandlers } from "./MessageItem";
import { MessageRow, OutboxRow, type RowShared } from "./MessageRow";
import { buildRows, countAfter, firstUnread, rowIndexAt, type Row } from "./messageRows";
import { JumpButtons, ListFooter, ListHeader, type ListContext } from "./MessageListParts";
import { useStableMap } from "./useStable";

export type ListHandlers = Omit<MessageHandlers, "jumpTo"> & {
  /** Show the room at this message, highlighted, however far back it is. */
  showMessage: (seq: number) => void;
};

interface Props {
  /** The room: where the reader stopped reading when entering it ("New messages"). */
  roomId?: string;
  /** The run on screen: the live messages, or a jump's window far back in the history. */
  messages: Message[];
  /** Tells the runs apart: "live", or the id of a jump's window. */
  run: string;
  outbox: OutgoingMessage[];
  actions: PendingAction[];
  me: { id: string; username: string } | null;
  hasOlder: boolean;
  loadingOlder: boolean;
  /** A jump's window, with newer messages below it until it meets the live ones. */
  hasNewer: boolean;
  loadingNewer: boolean;
  /** The message to bring into view and highlight (a jump, a reply's original). */
  focus: { seq: number; nonce: number } | null;
  rateLimitedFor: number;
  live: boolean;
  editingId: string | null;
  /** The room's owner or an admin. */
  moderator: boolean;
  /** Display names by user id, from the member list; the username when unknown. */
  names: ReadonlyMap<string, string>;
  /** Usernames by user id (who reacted). */
  usernames: ReadonlyMap<string, string>;
  handlers: ListHandlers;
  onLoadOlder: () => void;
  onLoadNewer: () => void;
  /** Leave a jump's window for the newest messages. */
  onShowNewest: () => void;
}

/** How long a message jumped to stays highlighted (its background fades meanwhile, styles.css). */
const HIGHLIGHT_MS = 4000;
const NEAR_EDGE_PX = 120;
const NO_ACTIONS: readonly PendingAction[] = Object.freeze([]);
/** Virtuoso's index of the first row: lowered by each page of older messages put above. */
const FIRST_INDEX = 1_000_000_000;

/** The room's read position when it was entered: unread from there on, until the room is left. */
function useReadSeqAtEntry(roomId: string | undefined): number | null {
  const summary = useAppState((s) => (roomId ? s.rooms.find((r) => r.id === roomId) ?? null : null));
  const entry = useRef<{ seq: number | null } | null>(null);
  if (entry.current === null && summary !== null) {
    entry.current = { seq: summary.unread_count > 0 ? summary.read_seq : null };
  }
  return entry.current?.seq ?? null;
}

export function MessageList(props: Props) {
  const { messages, run, outbox, actions, me, hasOlder, loadingOlder, hasNewer, loadingNewer, focus } = props;
  const { onLoadOlder, onLoadNewer, onShowNewest, handlers: listHandlers, live: connected } = props;
  const live = run === "live";
  const myId = me?.id ?? null;
  const virtuoso = useRef<VirtuosoHandle>(null);
  const scroller = useRef<HTMLElement | null>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [highlighted, setHighlighted] = useState<number | null>(null);
  const revealed = useRef<number | null>(null);

  const readSeq = useReadSeqAtEntry(props.roomId);
  const unread = useMemo(() => firstUnread(messages, readSeq, myId), [messages, readSeq, myId]);
  const rows = useMemo(() => buildRows(messages, live ? outbox : [], unread?.seq ?? null), [messages, outbox, live, unread]);

  // Rows stay put while older ones are put above them: Virtuoso's first index moves down by as
  // many. A run that shares nothing with the one before (a jump far away, back to the newest)
  // starts a list of its own, at its focus or its end.
  const anchor = useRef({ firstKey: null as string | null, index: FIRST_INDEX, epoch: 0 });
  const firstKey = rows[0]?.key ?? null;
  if (firstKey !== anchor.current.firstKey) {
    const before = anchor.current.firstKey;
    const at = before === null ? -1 : rows.findIndex((r) => r.key === before);
    if (at > 0) anchor.current = { firstKey, index: anchor.current.index - at, epoch: anchor.current.epoch };
    else if (before !== null && at < 0) anchor.current = { firstKey, index: FIRST_INDEX, epoch: anchor.current.epoch + 1 };
    else anchor.current = { ...anchor.current, firstKey };
  }
  const { index: firstItemIndex, epoch } = anchor.current;

  // People's names and the list of who can be mentioned change rarely: the room view rebuilds
  // its maps on every message, the rows must not all re-render for that.
  const names = useStableMap(props.names);
  const usernames = useStableMap(props.usernames);
  const known = useMemo(() => new Set([...usernames.values()].map((u) => u.toLowerCase())), [usernames]);

  const jumpTo = useCallback((reply: ReplyRef) => listHandlers.showMessage(reply.seq), [listHandlers]);
  const handlers = useMemo<MessageHandlers>(() => ({ ...listHandlers, jumpTo }), [listHandlers, jumpTo]);
  const shared = useMemo<RowShared>(
    () => ({ me, moderator: props.moderator, names, usernames, known, handlers }),
    [me, props.moderator, names, usernames, known, handlers],
  );

  const byMessage = useMemo(() => {
    const map = new Map<string, PendingAction[]>();
    for (const a of actions) map.set(a.message_id, [...(map.get(a.message_id) ?? []), a]);
    return map;
  }, [actions]);

  const scrollToEnd = useCallback(() => {
    virtuoso.current?.scrollToIndex({ index: "LAST", align: "end" });
  }, []);

  const rowsNow = useRef(rows);
  rowsNow.current = rows;

  /**
   * Scroll to a loaded message, highlight it and give it the focus; false when it is not loaded.
   * Rows are measured as they are drawn (and older ones put above may still be settling), so
   * the scroll is checked and done again until the row is in sight.
   */
  const reveal = useCallback((seq: number): boolean => {
    const row = rowsNow.current[rowIndexAt(rowsNow.current, seq)];
    if (row?.kind !== "message") return false;
    const shown = row.message.seq;
    setHighlighted(shown);
    let tries = 0;
    let seen = 0;
    const step = () => {
      const el = scroller.current;
      const target = el?.querySelector<HTMLElement>(`.message[data-seq="${shown}"]`);
      if (el && target && (seen > 0 || inSight(target, el))) {
        // Virtuoso may draw the row anew as it settles: the focus follows it, unless the reader
        // moved it on. Once in sight, the reader scrolls where they like: no scrolling back.
        const active = document.activeElement;
        if (active !== target && (active === null || active === document.body || el.contains(active))) {
          target.focus({ preventScroll: true });
        }
        seen++;
      } else if (seen === 0) {
        const index = rowIndexAt(rowsNow.current, shown);
        if (index >= 0) virtuoso.current?.scrollToIndex({ index, align: "center" });
      }
      if (seen < 6 && tries++ < 50) window.setTimeout(step, 40);
    };
    step();
    return true;
  }, []);

  useEffect(() => {
    if (focus === null || revealed.current === focus.nonce) return;
    if (reveal(focus.seq)) revealed.current = focus.nonce;
  }, [focus, reveal, rows]);

  useEffect(() => {
    if (highlighted === null) return;
    const timer = window.setTimeout(() => setHighlighted(null), HIGHLIGHT_MS);
    return () => window.clearTimeout(timer);
  }, [highlighted]);

  // A message of ours just written goes to the bottom, wherever the reader was.
  const sent = useRef(outbox.length);
  useEffect(() => {
    if (live && outbox.length > sent.current) scrollToEnd();
    sent.current = outbox.length;
  }, [outbox.length, live, scrollToEnd]);

  // The composer grows, the window turns: a reader at the bottom stays at the bottom.
  const bottom = useRef(atBottom);
  bottom.current = atBottom;
  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (bottom.current && live) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [live, epoch]);

  // New messages below a reader scrolled up: counted on the "Jump to latest" button.
  const seenSeq = useRef(0);
  const lastSeq = messages[messages.length - 1]?.seq ?? 0;
  if (atBottom || !live || seenSeq.current === 0) seenSeq.current = lastSeq;
  const below = live && !atBottom ? countAfter(messages, seenSeq.current, myId) : 0;

  // Is the first unread message out of sight (above or below what is on screen, or not loaded)?
  const [unreadInView, setUnreadInView] = useState(true);
  const checkUnread = useCallback(() => {
    const el = scroller.current;
    if (!el || readSeq === null) return;
    const divider = el.querySelector<HTMLElement>(".unread-divider");
    if (!divider) return setUnreadInView(false);
    const box = el.getBoundingClientRect();
    const at = divider.getBoundingClientRect();
    setUnreadInView(at.bottom > box.top && at.top < box.bottom);
  }, [readSeq]);
  useEffect(() => {
    const timer = window.setTimeout(checkUnread, 120); // once the rows are drawn
    return () => window.clearTimeout(timer);
  }, [checkUnread, rows, epoch]);

  const jumpToUnread = () => {
    if (unread !== null && reveal(unread.seq)) return;
    if (readSeq !== null) listHandlers.showMessage(readSeq + 1);
  };

  // Virtuoso draws a first row to measure before it scrolls to the bottom: the top "reached" then
  // is not the reader's. Older (or newer) pages load from a real scroll, or while the rows do
  // not fill the list.
  const settled = useRef(false);
  useEffect(() => {
    settled.current = false;
    const timer = window.setTimeout(() => (settled.current = true), 300);
    return () => window.clearTimeout(timer);
  }, [epoch]);
  const paging = useRef({ hasOlder, loadingOlder, hasNewer, loadingNewer, onLoadOlder, onLoadNewer });
  paging.current = { hasOlder, loadingOlder, hasNewer, loadingNewer, onLoadOlder, onLoadNewer };
  const loadOlder = useCallback(() => {
    const p = paging.current;
    if (settled.current && p.hasOlder && !p.loadingOlder) p.onLoadOlder();
  }, []);
  const loadNewer = useCallback(() => {
    const p = paging.current;
    if (settled.current && p.hasNewer && !p.loadingNewer) p.onLoadNewer();
  }, []);
  // Near either edge, on every scroll (not only when Virtuoso sees the edge row come in).
  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    if (el.scrollTop < NEAR_EDGE_PX) loadOlder();
    if (el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_EDGE_PX) loadNewer();
    checkUnread();
  }, [loadOlder, loadNewer, checkUnread]);
  useEffect(() => {
    const el = scroller.current;
    const timer = window.setTimeout(() => {
      if (!el || el.scrollHeight > el.clientHeight + 1) return;
      if (hasOlder && !loadingOlder) onLoadOlder();
      else if (hasNewer && !loadingNewer) onLoadNewer();
    }, 350);
    return () => window.clearTimeout(timer);
  }, [rows.length, hasOlder, loadingOlder, hasNewer, loadingNewer, onLoadOlder, onLoadNewer, epoch]);

  const context = useMemo<ListContext>(
    () => ({ hasOlder, loadingOlder, onLoadOlder, empty: rows.length === 0, live, hasNewer, loadingNewer, onLoadNewer }),
    [hasOlder, loadingOlder, onLoadOlder, rows.length, live, hasNewer, loadingNewer, onLoadNewer],
  );

  const itemContent = (_index: number, row: Row) =>
    row.kind === "message" ? (
      <MessageRow
        {...shared}
        message={row.message}
        actions={byMessage.get(row.message.id) ?? NO_ACTIONS}
        grouped={row.grouped}
        dayStart={row.dayStart}
        unreadStart={row.unreadStart}
        roomStart={!hasOlder && row.key === firstKey}
        editing={props.editingId === row.message.id}
        highlighted={highlighted === row.message.seq}
      />
    ) : (
      <OutboxRow
        entry={row.entry}
        me={me}
        names={names}
        known={known}
        handlers={handlers}
        live={connected}
        rateLimitedFor={props.rateLimitedFor}
        onJump={jumpTo}
      />
    );

  const focusIndex = focus !== null ? rowIndexAt(rows, focus.seq) : -1;
  const initial = focusIndex >= 0 ? { index: focusIndex, align: "center" as const } : { index: Math.max(0, rows.length - 1), align: "end" as const };
  const showUnreadJump = readSeq !== null && !unreadInView && (unread === null ? hasOlder || !live : true);

  return (
    <div className="messages-pane">
      {rows.length === 0 ? (
        // Nothing to lay out yet: the list starts once there are rows, at its end (or its focus).
        <div className="messages" role="log" aria-label="Messages" tabIndex={0} data-count={0}>
          <ListHeader context={context} />
        </div>
      ) : (
        <Virtuoso<Row, ListContext>
          key={epoch}
          ref={virtuoso}
          scrollerRef={(el) => {
            scroller.current = el instanceof HTMLElement ? el : null;
          }}
          className="messages"
          role="log"
          aria-label="Messages"
          aria-live={live && atBottom ? "polite" : "off"}
          aria-relevant="additions"
          aria-busy={loadingOlder || loadingNewer}
          data-count={messages.length}
          data-first-seq={messages[0]?.seq ?? 0}
          tabIndex={0}
          data={rows}
          context={context}
          firstItemIndex={firstItemIndex}
          initialTopMostItemIndex={initial}
          computeItemKey={(_i, row) => row.key}
          itemContent={itemContent}
          components={COMPONENTS}
          alignToBottom
          followOutput={(bottomNow) => (live && bottomNow ? "auto" : false)}
          atBottomThreshold={60}
          atBottomStateChange={setAtBottom}
          startReached={loadOlder}
          endReached={loadNewer}
          onScroll={onScroll}
          rangeChanged={checkUnread}
          increaseViewportBy={{ top: 400, bottom: 400 }}
          defaultItemHeight={48}
        />
      )}
      <JumpButtons
        live={live}
        atBottom={atBottom}
        below={below}
        showUnread={showUnreadJump}
        hasNewer={hasNewer}
        loadingNewer={loadingNewer}
        onLatest={scrollToEnd}
        onUnread={jumpToUnread}
        onLoadNewer={onLoadNewer}
        onShowNewest={onShowNewest}
      />
    </div>
  );
}

function inSight(row: HTMLElement, scroller: HTMLElement): boolean {
  const box = scroller.getBoundingClientRect();
  const at = row.getBoundingClientRect();
  return at.top >= box.top - 1 && at.bottom <= box.bottom + 1 ? true : at.top < box.bottom && at.bottom > box.top && at.height > box.height;
}

const List = forwardRef<HTMLOListElement, ListProps & { context?: ListContext }>(function List({ context: _c, ...props }, ref) {
  return <ol {...(props as HTMLAttributes<HTMLOListElement>)} ref={ref} className="messages__list" />;
});

function Item({ item: _item, context: _c, ...props }: ItemProps<Row> & { context?: ListContext }) {
  return <li {...(props as HTMLAttributes<HTMLLIElement>)} className="messages__row" />;
}

const COMPONENTS = {
  List: List as never,
  Item,
  Header: ListHeader,
  Footer: ListFooter,
};
