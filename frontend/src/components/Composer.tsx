import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { useAppState } from "../hooks";
import type { Member } from "../realtime/api";
import type { RoomClient } from "../realtime/client";
import { charCount, MAX_MESSAGE_LENGTH, type Message } from "../realtime/protocol";
import { store } from "../services";
import { Icon } from "./Icon";
import { completeMention, mentionAt, suggestions, type MentionQuery } from "./mentionComplete";
import { MentionList, optionId } from "./MentionList";

const NO_MEMBERS: readonly Member[] = [];

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
  const members = useAppState((s) => s.roomStates[roomId]?.members ?? NO_MEMBERS);
  const myId = useAppState((s) => s.session?.user.id ?? null);
  const ref = useRef<HTMLTextAreaElement>(null);
  const listId = useId();
  // The @name being typed (from the caret), the suggestion picked, and an Escape that closed them.
  const [typed, setTyped] = useState<MentionQuery | null>(null);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const caretAfter = useRef<number | null>(null);
  const found = useMemo(() => (typed ? suggestions(members, typed.query, myId) : []), [typed, members, myId]);
  const open = typed !== null && dismissed !== `${typed.start}:${typed.query}` && found.length > 0;
  const current = Math.min(active, found.length - 1);
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
    if (caretAfter.current !== null) {
      el.setSelectionRange(caretAfter.current, caretAfter.current);
      caretAfter.current = null;
    }
  }, [draft]);

  const follow = (el: HTMLTextAreaElement) => {
    const next = el.selectionStart === el.selectionEnd ? mentionAt(el.value, el.selectionStart) : null;
    setTyped((t) => (t?.start === next?.start && t?.query === next?.query ? t : next));
    if (next === null || next.start !== typed?.start) setActive(0);
    if (next === null) setDismissed(null);
  };

  const choose = (member: Member) => {
    const el = ref.current;
    if (!el || typed === null) return;
    const done = completeMention(el.value, typed, el.selectionStart, member.username);
    caretAfter.current = done.caret;
    setTyped(null);
    store.setDraft(roomId, done.text);
    client?.input(done.text);
    el.focus();
  };

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
    if (open && typed !== null) {
      const moves: Record<string, number> = {
        ArrowDown: (current + 1) % found.length,
        ArrowUp: (current - 1 + found.length) % found.length,
      };
      const move = moves[event.key];
      if (move !== undefined) {
        event.preventDefault();
        setActive(move);
        return;
      }
      const chosen = found[current];
      if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey && chosen) {
        event.preventDefault();
        choose(chosen);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        setDismissed(`${typed.start}:${typed.query}`); // until the name typed changes
        return;
      }
    }
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
        {open && (
          <MentionList id={listId} members={found} active={current} onChoose={choose} onHover={setActive} />
        )}
        {/* The ARIA 1.1 combobox: a wrapper owning the text box (which keeps its textbox role) and its listbox of people. */}
        <div
          className="composer__field"
          role="combobox"
          aria-expanded={open}
          aria-haspopup="listbox"
          aria-owns={open ? listId : undefined}
          aria-labelledby={`composer-label-${roomId}`}
        >
          <label id={`composer-label-${roomId}`} htmlFor={`composer-${roomId}`} className="visually-hidden">
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
            aria-autocomplete="list"
            aria-controls={open ? listId : undefined}
            aria-activedescendant={open ? optionId(listId, current) : undefined}
            onChange={(e) => {
              store.setDraft(roomId, e.target.value);
              client?.input(e.target.value);
              follow(e.target);
            }}
            onSelect={(e) => follow(e.currentTarget)}
            onBlur={() => {
              client?.stopTyping();
              setTyped(null);
            }}
            onKeyDown={onKeyDown}
          />
        </div>
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
