import { useRef, useState, type KeyboardEvent } from "react";
import { EmojiPicker } from "./EmojiPicker";
import { Icon, type IconName } from "./Icon";

interface Props {
  canEdit: boolean;
  canDelete: boolean;
  onReply: () => void;
  onEdit: () => void;
  onDelete: () => void;
  onReact: (emoji: string) => void;
}

/**
 * A message's actions: shown on hover and on keyboard focus (always on touch screens), one
 * tab stop per message with the arrow keys between the buttons (the ARIA toolbar pattern).
 */
export function MessageActions({ canEdit, canDelete, onReply, onEdit, onDelete, onReact }: Props) {
  const [picking, setPicking] = useState(false);
  const [active, setActive] = useState(0);
  const toggle = useRef<HTMLButtonElement>(null);
  const buttons: { label: string; icon: IconName; run: () => void }[] = [
    { label: "Add reaction", icon: "smile", run: () => setPicking((open) => !open) },
    { label: "Reply", icon: "reply", run: onReply },
  ];
  if (canEdit) buttons.push({ label: "Edit", icon: "edit", run: onEdit });
  if (canDelete) buttons.push({ label: "Delete", icon: "trash", run: onDelete });
  const current = Math.min(active, buttons.length - 1);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLElement;
    if (target.parentElement !== event.currentTarget) return; // keys inside the picker are its own
    const count = buttons.length;
    const moves: Record<string, number> = {
      ArrowRight: (current + 1) % count,
      ArrowLeft: (current - 1 + count) % count,
      Home: 0,
      End: count - 1,
    };
    const next = moves[event.key];
    if (next === undefined) return;
    event.preventDefault();
    setActive(next);
    (event.currentTarget.children[next] as HTMLElement | undefined)?.focus();
  };

  return (
    <div
      className={`message__toolbar ${picking ? "is-open" : ""}`}
      role="toolbar"
      aria-label="Message actions"
      onKeyDown={onKeyDown}
    >
      {buttons.map((button, i) => (
        <button
          key={button.label}
          ref={i === 0 ? toggle : undefined}
          type="button"
          className="message__tool"
          aria-label={button.label}
          title={button.label}
          tabIndex={i === current ? 0 : -1}
          onFocus={() => setActive(i)}
          onClick={button.run}
          {...(i === 0 ? { "aria-haspopup": "dialog" as const, "aria-expanded": picking } : {})}
        >
          <Icon name={button.icon} size={18} />
        </button>
      ))}
      {picking && (
        <EmojiPicker
          anchor={toggle}
          onPick={(emoji) => {
            setPicking(false);
            onReact(emoji);
            toggle.current?.focus();
          }}
          onClose={(refocus) => {
            setPicking(false);
            if (refocus) toggle.current?.focus();
          }}
        />
      )}
    </div>
  );
}
