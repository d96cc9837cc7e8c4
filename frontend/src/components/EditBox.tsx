import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { charCount, isSendable, MAX_MESSAGE_LENGTH } from "../realtime/protocol";

/** Inline editing of one's own message: Enter saves, Shift+Enter a new line, Escape cancels. */
export function EditBox({ initial, onSave, onCancel }: { initial: string; onSave: (text: string) => void; onCancel: () => void }) {
  const [text, setText] = useState(initial);
  const ref = useRef<HTMLTextAreaElement>(null);
  const over = charCount(text) > MAX_MESSAGE_LENGTH;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [text]);

  const save = () => {
    if (text === initial) onCancel();
    else if (isSendable(text)) onSave(text);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onCancel();
    } else if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      save();
    }
  };

  return (
    <div className="edit-box">
      <textarea
        ref={ref}
        className="edit-box__input"
        aria-label="Edit message"
        aria-invalid={over}
        rows={1}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="edit-box__footer">
        <span className="edit-box__hint">
          <kbd>Enter</kbd> to save, <kbd>Esc</kbd> to cancel
        </span>
        <button type="button" className="button button--small button--ghost" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button button--small button--primary" onClick={save} disabled={!isSendable(text)}>
          Save
        </button>
      </div>
    </div>
  );
}
