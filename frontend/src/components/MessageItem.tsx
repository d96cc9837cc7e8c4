import { memo } from "react";
import { formatDateTime, formatFullDateTime, formatTime } from "../format";
import { withPending } from "../realtime/actions";
import type { Message, ReplyRef } from "../realtime/protocol";
import type { PendingAction } from "../realtime/store";
import { Avatar } from "./Avatar";
import { EditBox } from "./EditBox";
import { Icon } from "./Icon";
import { MessageActions } from "./MessageActions";
import { MessageText } from "./MessageText";
import { Reactions } from "./Reactions";
import { ReplyQuote } from "./ReplyQuote";

/** What a message row can ask for; one object for the whole list, so rows re-render only when their message does. */
export interface MessageHandlers {
  reply: (message: Message) => void;
  startEdit: (messageId: string) => void;
  cancelEdit: () => void;
  saveEdit: (messageId: string, content: string) => void;
  remove: (messageId: string) => void;
  toggleReaction: (messageId: string, emoji: string) => void;
  /** Scroll to the message a reply quotes, and highlight it. */
  jumpTo: (reply: ReplyRef) => void;
  retry: (clientId: string) => void;
  discard: (clientId: string) => void;
}

interface Props {
  message: Message;
  /** Our pending or failed actions on this message. */
  actions: readonly PendingAction[];
  me: { id: string; username: string } | null;
  grouped: boolean;
  editing: boolean;
  highlighted: boolean;
  /** The room's owner or an admin: may delete anyone's message. */
  moderator: boolean;
  names: ReadonlyMap<string, string>;
  usernames: ReadonlyMap<string, string>;
  /** Usernames (lower case) whose @mentions are highlighted. */
  known?: ReadonlySet<string>;
  handlers: MessageHandlers;
}

/** A message's time; the whole date and time on hover. */
export function MessageTime({ iso, className }: { iso: string; className?: string }) {
  return (
    <time className={className} dateTime={iso} title={formatFullDateTime(iso)}>
      {formatTime(iso)}
    </time>
  );
}

export const MessageItem = memo(function MessageItem(props: Props) {
  const { message: stored, actions, me, grouped, editing, highlighted, moderator, names, usernames, known, handlers } = props;
  const myId = me?.id ?? null;
  const message = withPending(stored, actions, myId ?? "");
  const mine = message.sender_id === myId;
  const deleting = actions.some((a) => a.type === "delete_message" && a.state === "pending");
  const failed = actions.filter((a) => a.state === "failed");
  const pendingEmoji = new Set(
    actions.flatMap((a) => (a.state === "pending" && "emoji" in a ? [a.emoji] : [])),
  );
  const editPending = actions.some((a) => a.type === "edit_message" && a.state === "pending");
  const state = failed.length > 0 ? "failed" : actions.length > 0 ? "pending" : undefined;
  const name = names.get(message.sender_id) ?? message.sender_username;
  const reply = message.reply_to ?? null;
  const canAct = !message.deleted && !deleting && !editing && me !== null;

  return (
    <div
      className={[
        "message",
        grouped ? "message--grouped" : "",
        mine ? "message--mine" : "",
        message.deleted ? "message--deleted" : "",
        deleting ? "message--deleting" : "",
        highlighted ? "is-highlighted" : "",
      ].join(" ")}
      data-seq={message.seq}
      data-message-id={message.id}
      data-action-state={state}
      aria-current={highlighted ? "true" : undefined}
      tabIndex={-1}
    >
      {grouped ? (
        <MessageTime className="message__hover-time" iso={message.created_at} />
      ) : (
        <Avatar id={message.sender_id} name={message.sender_username} />
      )}
      <div className="message__body">
        {reply && (
          <ReplyQuote
            reply={reply}
            name={reply.sender_username}
            onJump={() => handlers.jumpTo(reply)}
          />
        )}
        {!grouped && (
          <div className="message__meta">
            <span className="message__author" title={`@${message.sender_username}`}>
              {name}
            </span>
            <MessageTime iso={message.created_at} />
          </div>
        )}
        {message.deleted ? (
          <p className="message__deleted">This message was deleted</p>
        ) : editing ? (
          <EditBox
            initial={message.content}
            onSave={(text) => handlers.saveEdit(message.id, text)}
            onCancel={handlers.cancelEdit}
          />
        ) : (
          <div className="message__content">
            <MessageText content={message.content} me={me?.username ?? null} known={known} />
            {editPending ? (
              <span className="message__edited">(saving…)</span>
            ) : (
              message.edited_at && (
                <span className="message__edited" title={`Edited ${formatDateTime(message.edited_at)}`}>
                  (edited)
                </span>
              )
            )}
          </div>
        )}
        {deleting && <p className="message__state">Deleting…</p>}
        {failed.map((action) => (
          <FailedAction key={action.client_id} action={action} handlers={handlers} />
        ))}
        {!message.deleted && (
          <Reactions
            reactions={message.reactions ?? []}
            myId={myId}
            usernames={usernames}
            pending={pendingEmoji}
            onToggle={(emoji) => handlers.toggleReaction(message.id, emoji)}
          />
        )}
      </div>
      {canAct && (
        <MessageActions
          canEdit={mine}
          canDelete={mine || moderator}
          onReply={() => handlers.reply(stored)}
          onEdit={() => handlers.startEdit(message.id)}
          onDelete={() => handlers.remove(message.id)}
          onReact={(emoji) => handlers.toggleReaction(message.id, emoji)}
        />
      )}
      {mine && !message.deleted && (
        <span className="message__sent" title="Sent" role="img" aria-label="Sent">
          <Icon name="check" size={14} />
        </span>
      )}
    </div>
  );
});

const FAILED_LABEL: Record<PendingAction["type"], string> = {
  edit_message: "Edit not saved",
  delete_message: "Not deleted",
  add_reaction: "Reaction not added",
  remove_reaction: "Reaction not removed",
};

function FailedAction({ action, handlers }: { action: PendingAction; handlers: MessageHandlers }) {
  const what = "emoji" in action ? `${FAILED_LABEL[action.type]} (${action.emoji})` : FAILED_LABEL[action.type];
  return (
    <div className="message__failure" role="alert" data-action={action.type}>
      <span className="message__state message__state--failed">
        {what}: {action.error ?? "error"}
      </span>
      {action.retryable && (
        <button type="button" className="button button--small" onClick={() => handlers.retry(action.client_id)}>
          Retry
        </button>
      )}
      <button type="button" className="button button--small button--ghost" onClick={() => handlers.discard(action.client_id)}>
        Dismiss
      </button>
    </div>
  );
}
