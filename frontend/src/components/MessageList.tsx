import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type UIEvent } from "react";
import { formatDay } from "../format";
import type { Message, ReplyRef } from "../realtime/protocol";
import type { OutgoingMessage, PendingAction } from "../realtime/store";
import { Avatar } from "./Avatar";
import { MessageItem, type MessageHandlers } from "./MessageItem";
import { MessageText } from "./MessageText";
import { ReplyQuote } from "./ReplyQuote";

export type ListHandlers = Omit<MessageHandlers, "jumpTo"> & {
  /** Show the room at this message, highlighted, however far back it is. */
  showMessage: (seq: number) => void;
};

interface Props {
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

const GROUP_WINDOW_MS = 5 * 60 * 1000;
const NEAR_EDGE_PX = 120;
/** How long a message jumped to stays highlighted (its background fades meanwhile, styles.css). */
const HIGHLIGHT_MS = 4000;
const NO_ACTIONS: readonly PendingAction[] = Object.freeze([]);

export function MessageList(props: Props) {
  const { messages, run, outbox, actions, me, hasOlder, loadingOlder, hasNewer, loadingNewer, focus, names } = props;
  const { onLoadOlder, onLoadNewer, onShowNewest } = props;
  const live = run === "live";
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  /** "Jump to newest" was pressed: the live run opens at its end. */
  const toNewest = useRef(false);
  const previous = useRef({ run, first: 0, height: 0, outbox: 0 });
  const revealed = useRef<number | null>(null);
  const firstSeq = messages[0]?.seq ?? 0;
  const [highlighted, setHighlighted] = useState<number | null>(null);

  /** Scroll to a loaded message and highlight it; false when it is not on screen. */
  const reveal = useCallback((seq: number): boolean => {
    const row = ref.current?.querySelector<HTMLElement>(`li[data-seq="${seq}"]`);
    if (!row) return false;
    atBottom.current = false;
    row.scrollIntoView?.({ block: "center" });
    row.focus({ preventScroll: true });
    setHighlighted(seq);
    return true;
  }, []);

  // A reply's original goes through the room's one jump: shown at once when loaded, read when not.
  const jumpTo = useCallback((reply: ReplyRef) => props.handlers.showMessage(reply.seq), [props.handlers]);
  const handlers = useMemo<MessageHandlers>(() => ({ ...props.handlers, jumpTo }), [props.handlers, jumpTo]);

  useEffect(() => {
    if (highlighted === null) return;
    const timer = window.setTimeout(() => setHighlighted(null), HIGHLIGHT_MS);
    return () => window.clearTimeout(timer);
  }, [highlighted]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const before = previous.current;
    if (before.run !== run) {
      // Another run: a jump's window, or back to the live one, at its end when asked for (or
      // for a message just sent), else where the window was: it just joined the run below it.
      if (live && (toNewest.current || outbox.length > before.outbox)) {
        el.scrollTop = el.scrollHeight;
        atBottom.current = true;
      }
      toNewest.current = false;
    } else if (before.first !== 0 && firstSeq < before.first) {
      el.scrollTop += el.scrollHeight - before.height; // older page above: keep the reader's place
    } else if (live && (atBottom.current || outbox.length > before.outbox)) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    }
    previous.current = { run, first: firstSeq, height: el.scrollHeight, outbox: outbox.length };
    if (focus !== null && revealed.current !== focus.nonce && reveal(focus.seq)) {
      revealed.current = focus.nonce;
      return;
    }
    if (el.scrollHeight > el.clientHeight) return;
    if (hasOlder && !loadingOlder) onLoadOlder();
    else if (hasNewer && !loadingNewer) onLoadNewer();
  });

  // The composer grows, the window turns: a reader at the bottom stays at the bottom.
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const onScroll = (event: UIEvent<HTMLDivElement>) => {
    const el = event.currentTarget;
    const below = el.scrollHeight - el.scrollTop - el.clientHeight;
    atBottom.current = below < 60;
    if (el.scrollTop < NEAR_EDGE_PX && hasOlder && !loadingOlder) onLoadOlder();
    if (below < NEAR_EDGE_PX && hasNewer && !loadingNewer) onLoadNewer();
  };

  const showNewest = () => {
    toNewest.current = true;
    onShowNewest();
  };

  const byMessage = useMemo(() => {
    const map = new Map<string, PendingAction[]>();
    for (const a of actions) map.set(a.message_id, [...(map.get(a.message_id) ?? []), a]);
    return map;
  }, [actions]);

  const rows: React.ReactNode[] = [];
  let prev: Message | null = null;
  for (const message of messages) {
    const day = formatDay(message.created_at);
    if (prev === null || formatDay(prev.created_at) !== day) {
      rows.push(
        <li key={`day-${message.seq}`} className="day-divider" role="separator" aria-label={day}>
          <span>{day}</span>
        </li>,
      );
    }
    const grouped =
      prev !== null &&
      !message.reply_to &&
      !prev.deleted &&
      prev.sender_id === message.sender_id &&
      formatDay(prev.created_at) === day &&
      Date.parse(message.created_at) - Date.parse(prev.created_at) < GROUP_WINDOW_MS;
    rows.push(
      <MessageItem
        key={message.seq}
        message={message}
        actions={byMessage.get(message.id) ?? NO_ACTIONS}
        me={me}
        grouped={grouped}
        editing={props.editingId === message.id}
        highlighted={highlighted === message.seq}
        moderator={props.moderator}
        names={names}
        usernames={props.usernames}
        handlers={handlers}
      />,
    );
    prev = message;
  }

  return (
    <div className="messages" ref={ref} onScroll={onScroll} tabIndex={0} aria-label="Messages" role="region">
      {hasOlder ? (
        <div className="messages__older">
          <button type="button" className="link" onClick={onLoadOlder} disabled={loadingOlder}>
            {loadingOlder ? "Loading older messages…" : "Load older messages"}
          </button>
        </div>
      ) : (
        messages.length > 0 && <p className="messages__start">This is the beginning of the room.</p>
      )}
      {messages.length === 0 && outbox.length === 0 && (
        <p className="messages__empty">No messages yet. Say hello!</p>
      )}
      <ol className="messages__list" role="log" aria-live={live ? "polite" : "off"} aria-relevant="additions">
        {rows}
        {live && outbox.map((entry) => <OutboxRow key={entry.client_id} entry={entry} {...props} onJump={jumpTo} />)}
      </ol>
      {!live && (
        <div className="messages__newer">
          {hasNewer && (
            <button type="button" className="link" onClick={onLoadNewer} disabled={loadingNewer}>
              {loadingNewer ? "Loading newer messages…" : "Load newer messages"}
            </button>
          )}
          <button type="button" className="button button--small" onClick={showNewest}>
            Jump to newest
          </button>
        </div>
      )}
    </div>
  );
}

function OutboxRow(props: { entry: OutgoingMessage; onJump: (reply: ReplyRef) => void } & Props) {
  const { entry, me, live, names, rateLimitedFor, handlers, onJump } = props;
  const name = (me && names.get(me.id)) ?? me?.username ?? "you";
  const failed = entry.state === "failed";
  const waiting = failed && rateLimitedFor > 0 && entry.error === "Rate limit exceeded";
  const reply = entry.reply_to ?? null;
  return (
    <li className={`message message--mine message--${entry.state}`} data-client-id={entry.client_id} data-state={entry.state}>
      <Avatar name={name} />
      <div className="message__body">
        {reply && <ReplyQuote reply={reply} name={reply.sender_username} onJump={() => onJump(reply)} />}
        <div className="message__meta">
          <span className="message__author">{name}</span>
          <span className={`message__state message__state--${entry.state}`}>
            {failed ? `Not sent: ${entry.error ?? "error"}` : live ? "Sending…" : "Waiting for the connection…"}
          </span>
        </div>
        <MessageText content={entry.content} me={null} />
        {failed && (
          <div className="message__actions">
            {entry.retryable && (
              <button
                type="button"
                className="button button--small"
                onClick={() => handlers.retry(entry.client_id)}
                disabled={waiting}
              >
                {waiting ? `Retry in ${rateLimitedFor}s` : "Retry"}
              </button>
            )}
            <button type="button" className="button button--small button--ghost" onClick={() => handlers.discard(entry.client_id)}>
              Discard
            </button>
          </div>
        )}
      </div>
    </li>
  );
}
