import { useEffect, useRef, useState, type KeyboardEvent, type RefObject } from "react";
import { gridMove, REACTION_EMOJI } from "./emoji";

interface Props {
  /** The button that opened the picker: focus moving there does not close it twice. */
  anchor: RefObject<HTMLElement | null>;
  onPick: (emoji: string) => void;
  /** `refocus`: give focus back to the anchor (Escape), not when focus went elsewhere. */
  onClose: (refocus: boolean) => void;
}

/** A small popover of reaction emoji: arrow keys move, Enter or a click picks, Escape closes. */
export function EmojiPicker({ anchor, onPick, onClose }: Props) {
  const [active, setActive] = useState(0);
  const cells = useRef<(HTMLButtonElement | null)[]>([]);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    cells.current[0]?.focus();
  }, []);

  // Open it upwards unless that would leave the scrolling message list.
  useEffect(() => {
    const el = root.current;
    const list = el?.closest(".messages");
    if (!el || !list) return;
    if (el.getBoundingClientRect().top < list.getBoundingClientRect().top) el.classList.add("emoji-picker--below");
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onClose(true);
      return;
    }
    const next = gridMove(event.key, active, REACTION_EMOJI.length);
    if (next === null) return;
    event.preventDefault();
    event.stopPropagation();
    setActive(next);
    cells.current[next]?.focus();
  };

  return (
    <div
      ref={root}
      className="emoji-picker"
      role="dialog"
      aria-label="Choose a reaction"
      onKeyDown={onKeyDown}
      onBlur={(event) => {
        const to = event.relatedTarget as Node | null;
        if (to && (event.currentTarget.contains(to) || anchor.current?.contains(to))) return;
        onClose(false);
      }}
    >
      {REACTION_EMOJI.map(({ emoji, label }, i) => (
        <button
          key={emoji}
          ref={(el) => {
            cells.current[i] = el;
          }}
          type="button"
          className="emoji-picker__cell"
          title={label}
          tabIndex={i === active ? 0 : -1}
          onFocus={() => setActive(i)}
          onClick={() => onPick(emoji)}
        >
          {emoji}
        </button>
      ))}
    </div>
  );
}
