import { useEffect, useLayoutEffect, useRef, type UIEvent } from "react";
import { formatDay, formatTime } from "../format";
import type { Message } from "../realtime/protocol";
import type { OutgoingMessage } from "../realtime/store";
import { Avatar } from "./Avatar";
import { Icon } from "./Icon";
import { MessageText } from "./MessageText";

interface Props {
  messages: Message[];
  outbox: OutgoingMessage[];
  me: { id: string; username: string } | null;
  hasOlder: boolean;
  loadingOlder: boolean;
  rateLimitedFor: number;
  live: boolean;
  /** Display names by user id, from the member list; the username when unknown. */
  names: ReadonlyMap<string, string>;
  onLoadOlder: () => void;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
}

const GROUP_WINDOW_MS = 5 * 60 * 1000;
const NEAR_EDGE_PX = 120;

export function MessageList(props: Props) {
  const { messages, outbox, me, hasOlder, loadingOlder, names, onLoadOlder } = props;
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const previous = useRef({ first: 0, height: 0, outbox: 0 });
  const firstSeq = messages[0]?.seq ?? 0;

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
      prev.sender_id === message.sender_id &&
      formatDay(prev.created_at) === day &&
      Date.parse(message.created_at) - Date.parse(prev.created_at) < GROUP_WINDOW_MS;
    rows.push(
      <li
        key={message.seq}
        className={`message ${grouped ? "message--grouped" : ""} ${message.sender_id === me?.id ? "message--mine" : ""}`}
        data-seq={message.seq}
      >
        {grouped ? (
          <time className="message__hover-time" dateTime={message.created_at}>
            {formatTime(message.created_at)}
          </time>
        ) : (
          <Avatar name={message.sender_username} />
        )}
        <div className="message__body">
          {!grouped && (
            <div className="message__meta">
              <span className="message__author" title={`@${message.sender_username}`}>
                {names.get(message.sender_id) ?? message.sender_username}
              </span>
              <time dateTime={message.created_at}>{formatTime(message.created_at)}</time>
            </div>
          )}
          <MessageText content={message.content} me={me?.username ?? null} />
        </div>
        {message.sender_id === me?.id && (
          <span className="message__sent" title="Sent" role="img" aria-label="Sent">
            <Icon name="check" size={14} />
          </span>
        )}
      </li>,
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
          <OutboxRow key={entry.client_id} entry={entry} {...props} />
        ))}
      </ol>
    </div>
  );
}

function OutboxRow({ entry, me, live, names, rateLimitedFor, onRetry, onDiscard }: { entry: OutgoingMessage } & Props) {
  const name = (me && names.get(me.id)) ?? me?.username ?? "you";
  const failed = entry.state === "failed";
  const waiting = failed && rateLimitedFor > 0 && entry.error === "Rate limit exceeded";
  return (
    <li className={`message message--mine message--${entry.state}`} data-client-id={entry.client_id} data-state={entry.state}>
      <Avatar name={name} />
      <div className="message__body">
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
              <button type="button" className="button button--small" onClick={() => onRetry(entry.client_id)} disabled={waiting}>
                {waiting ? `Retry in ${rateLimitedFor}s` : "Retry"}
              </button>
            )}
            <button type="button" className="button button--small button--ghost" onClick={() => onDiscard(entry.client_id)}>
              Discard
            </button>
          </div>
        )}
      </div>
    </li>
  );
}
