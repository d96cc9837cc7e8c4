import { useEffect, useRef, type FormEvent, type KeyboardEvent } from "react";
import { useAppState } from "../hooks";
import type { RoomClient } from "../realtime/client";
import { charCount, MAX_MESSAGE_LENGTH, type Message } from "../realtime/protocol";
import { store } from "../services";
import { Icon } from "./Icon";

const COUNTER_FROM = MAX_MESSAGE_LENGTH - 500;

interface Props {
  roomId: string;
  /** Who or where the message goes, as the composer's label says it: "#lobby", "Alice". */
  target: string;
  client: RoomClient | null;
  rateLimitedFor: number;
  disabled: boolean;
  /** The message being answered, and the name to show for its sender. */
  replyTo: { message: Message; name: string } | null;
  onCancelReply: () => void;
  /** ArrowUp in an empty composer: edit our last message; false when there is none. */
  onEditLast: () => boolean;
  /** Bumped to put the cursor back in the composer (after an edit, on reply). */
  focusSignal: number;
}

export function Composer(props: Props) {
  const { roomId, target, client, rateLimitedFor, disabled, replyTo, onCancelReply, onEditLast, focusSignal } = props;
  const draft = useAppState((s) => s.drafts[roomId] ?? "");
  const ref = useRef<HTMLTextAreaElement>(null);
  const length = charCount(draft);
  const over = length > MAX_MESSAGE_LENGTH;
  const blank = draft.trim() === "";
  const canSend = !blank && !over && rateLimitedFor === 0 && !disabled && client !== null;

  // Entering a room puts the cursor in the composer, except on touch screens (no surprise keyboard).
  useEffect(() => {
    if (window.matchMedia?.("(pointer: fine)").matches) ref.current?.focus();
  }, [roomId]);

  useEffect(() => {
    if (focusSignal > 0) ref.current?.focus();
  }, [focusSignal]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  }, [draft]);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!canSend) return;
    if (client.send(draft, replyTo?.message ?? null) !== null) {
      store.setDraft(roomId, "");
      if (replyTo) onCancelReply();
    }
    ref.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.nativeEvent.isComposing) return;
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      submit();
    } else if (event.key === "Escape" && replyTo) {
      event.preventDefault();
      onCancelReply();
    } else if (event.key === "ArrowUp" && draft === "" && !event.shiftKey && !event.altKey && !event.metaKey && !event.ctrlKey) {
      if (onEditLast()) event.preventDefault();
    }
  };

  return (
    <form className="composer" onSubmit={submit} aria-label="Send a message">
      {rateLimitedFor > 0 && (
        <p className="composer__limit" role="alert">
          You are sending messages too fast. You can send again in {rateLimitedFor}s.
        </p>
      )}
      {replyTo && (
        <div className="composer__reply">
          <Icon name="reply" size={14} />
          <span className="composer__reply-text">
            Replying to <strong>{replyTo.name}</strong>
          </span>
          <button
            type="button"
            className="button button--ghost button--small composer__reply-cancel"
            aria-label="Cancel reply"
            title="Cancel reply (Esc)"
            onClick={() => {
              onCancelReply();
              ref.current?.focus();
            }}
          >
            <Icon name="close" size={14} />
          </button>
        </div>
      )}
      <div className="composer__box">
        <label htmlFor={`composer-${roomId}`} className="visually-hidden">
          Message {target}
        </label>
        <textarea
          id={`composer-${roomId}`}
          ref={ref}
          className="composer__input"
          rows={1}
          placeholder={disabled ? "You cannot send messages here" : `Message ${target}`}
          value={draft}
          disabled={disabled}
          aria-describedby={`composer-hint-${roomId}`}
          aria-invalid={over}
          onChange={(e) => {
            store.setDraft(roomId, e.target.value);
            client?.input(e.target.value);
          }}
          onBlur={() => client?.stopTyping()}
          onKeyDown={onKeyDown}
        />
        <button type="submit" className="composer__send" disabled={!canSend} aria-label="Send message">
          <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
            <path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" fill="currentColor" />
          </svg>
        </button>
      </div>
      <div className="composer__footer" id={`composer-hint-${roomId}`}>
        <span className="composer__hint">
          <kbd>Enter</kbd> to send, <kbd>Shift</kbd>+<kbd>Enter</kbd> for a new line, <kbd>↑</kbd> to edit your last message
        </span>
        {length >= COUNTER_FROM && (
          <span className={`composer__counter ${over ? "is-over" : ""}`} aria-live="polite">
            {over
              ? `${length - MAX_MESSAGE_LENGTH} characters over the limit`
              : `${MAX_MESSAGE_LENGTH - length} characters left`}
          </span>
        )}
      </div>
    </form>
  );
}
