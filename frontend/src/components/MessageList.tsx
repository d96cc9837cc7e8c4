import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type UIEvent } from "react";
import { formatDay } from "../format";
import type { Message, ReplyRef } from "../realtime/protocol";
import type { OutgoingMessage, PendingAction } from "../realtime/store";
import { Avatar } from "./Avatar";
import { MessageItem, type MessageHandlers } from "./MessageItem";
import { MessageText } from "./MessageText";
import { ReplyQuote } from "./ReplyQuote";

export type ListHandlers = Omit<MessageHandlers, "jumpTo">;

interface Props {
  messages: Message[];
  outbox: OutgoingMessage[];
  actions: PendingAction[];
  me: { id: string; username: string } | null;
  hasOlder: boolean;
  loadingOlder: boolean;
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
}

const GROUP_WINDOW_MS = 5 * 60 * 1000;
const NEAR_EDGE_PX = 120;
const HIGHLIGHT_MS = 2000;
/** Older pages read at most to find the message a quote points to. */
const JUMP_PAGES = 20;
const NO_ACTIONS: readonly PendingAction[] = Object.freeze([]);

export function MessageList(props: Props) {
  const { messages, outbox, actions, me, hasOlder, loadingOlder, names, onLoadOlder } = props;
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const previous = useRef({ first: 0, height: 0, outbox: 0 });
  const firstSeq = messages[0]?.seq ?? 0;
  const [highlighted, setHighlighted] = useState<string | null>(null);
  const wanted = useRef<{ reply: ReplyRef; pages: number } | null>(null);

  /** Scroll to a loaded message and highlight it; false when it is not loaded. */
  const reveal = useCallback((id: string): boolean => {
    const rows = ref.current?.querySelectorAll<HTMLElement>("li[data-message-id]") ?? [];
    const row = Array.from(rows).find((el) => el.dataset.messageId === id);
    if (!row) return false;
    atBottom.current = false;
    row.scrollIntoView?.({ block: "center", behavior: "smooth" });
    row.focus({ preventScroll: true });
    setHighlighted(id);
    return true;
  }, []);

  const jumpTo = useCallback(
    (reply: ReplyRef) => {
      wanted.current = null;
      if (reveal(reply.id)) return;
      if (hasOlder && reply.seq < firstSeq) {
        wanted.current = { reply, pages: 0 };
        onLoadOlder();
      }
    },
    [reveal, hasOlder, firstSeq, onLoadOlder],
  );
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
    if (before.first !== 0 && firstSeq < before.first) {
      el.scrollTop += el.scrollHeight - before.height; // older page above: keep the reader's place
    } else if (atBottom.current || outbox.length > before.outbox) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    }
    previous.current = { first: firstSeq, height: el.scrollHeight, outbox: outbox.length };
    const jump = wanted.current;
    if (jump && !loadingOlder) {
      if (reveal(jump.reply.id)) wanted.current = null;
      else if (hasOlder && jump.reply.seq < firstSeq && jump.pages < JUMP_PAGES) {
        jump.pages++;
        onLoadOlder();
      } else wanted.current = null;
      return;
    }
    if (el.scrollHeight <= el.clientHeight && hasOlder && !loadingOlder) onLoadOlder();
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
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    if (el.scrollTop < NEAR_EDGE_PX && hasOlder && !loadingOlder) onLoadOlder();
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
        highlighted={highlighted === message.id}
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
      <ol className="messages__list" role="log" aria-live="polite" aria-relevant="additions">
        {rows}
        {outbox.map((entry) => (
          <OutboxRow key={entry.client_id} entry={entry} {...props} onJump={jumpTo} />
        ))}
      </ol>
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
