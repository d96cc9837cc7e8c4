import { memo } from "react";
import { formatDay } from "../format";
import type { Message, ReplyRef } from "../realtime/protocol";
import type { OutgoingMessage, PendingAction } from "../realtime/store";
import { Avatar } from "./Avatar";
import { MessageItem, type MessageHandlers } from "./MessageItem";
import { MessageText } from "./MessageText";
import { ReplyQuote } from "./ReplyQuote";

/** What every row shares: one object per list render, its parts stable while unchanged. */
export interface RowShared {
  me: { id: string; username: string } | null;
  moderator: boolean;
  names: ReadonlyMap<string, string>;
  usernames: ReadonlyMap<string, string>;
  known: ReadonlySet<string>;
  handlers: MessageHandlers;
}

interface MessageRowProps extends RowShared {
  message: Message;
  actions: readonly PendingAction[];
  grouped: boolean;
  dayStart: boolean;
  unreadStart: boolean;
  /** The room's very first message: the beginning of the room is said above it. */
  roomStart: boolean;
  editing: boolean;
  highlighted: boolean;
}

/** One message with the dividers above it; re-rendered only when one of its props changes. */
export const MessageRow = memo(function MessageRow(props: MessageRowProps) {
  const { message, dayStart, unreadStart, roomStart, ...rest } = props;
  return (
    <>
      {roomStart && <p className="messages__start">This is the beginning of the room.</p>}
      {dayStart && <DayDivider iso={message.created_at} />}
      {unreadStart && (
        <div className="unread-divider" role="separator" aria-label="New messages" data-seq={message.seq}>
          <span>New messages</span>
        </div>
      )}
      <MessageItem message={message} {...rest} />
    </>
  );
});

function DayDivider({ iso }: { iso: string }) {
  const day = formatDay(iso);
  return (
    <div className="day-divider" role="separator" aria-label={day}>
      <span>{day}</span>
    </div>
  );
}

interface OutboxProps {
  entry: OutgoingMessage;
  me: RowShared["me"];
  names: RowShared["names"];
  known: RowShared["known"];
  handlers: MessageHandlers;
  live: boolean;
  rateLimitedFor: number;
  onJump: (reply: ReplyRef) => void;
}

/** A message of ours on its way, or refused: Retry and Discard. */
export const OutboxRow = memo(function OutboxRow(props: OutboxProps) {
  const { entry, me, live, names, known, rateLimitedFor, handlers, onJump } = props;
  const name = (me && names.get(me.id)) ?? me?.username ?? "you";
  const failed = entry.state === "failed";
  const waiting = failed && rateLimitedFor > 0 && entry.error === "Rate limit exceeded";
  const reply = entry.reply_to ?? null;
  return (
    <div className={`message message--mine message--${entry.state}`} data-client-id={entry.client_id} data-state={entry.state}>
      <Avatar id={me?.id} name={me?.username ?? name} />
      <div className="message__body">
        {reply && <ReplyQuote reply={reply} name={reply.sender_username} onJump={() => onJump(reply)} />}
        <div className="message__meta">
          <span className="message__author">{name}</span>
          <span className={`message__state message__state--${entry.state}`}>
            {failed ? `Not sent: ${entry.error ?? "error"}` : live ? "Sending…" : "Waiting for the connection…"}
          </span>
        </div>
        <MessageText content={entry.content} me={null} known={known} />
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
    </div>
  );
});
