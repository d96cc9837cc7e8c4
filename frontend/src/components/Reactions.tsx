import type { Reaction } from "../realtime/protocol";
import { reactorNames } from "./emoji";

interface Props {
  reactions: Reaction[];
  myId: string | null;
  usernames: ReadonlyMap<string, string>;
  /** Emoji whose toggle of ours is still on its way. */
  pending: ReadonlySet<string>;
  onToggle: (emoji: string) => void;
}

/** A message's reactions: emoji and count, pressed when one is ours; hovering names who reacted. */
export function Reactions({ reactions, myId, usernames, pending, onToggle }: Props) {
  if (reactions.length === 0) return null;
  return (
    <div className="reactions">
      {reactions.map((r) => {
        const mine = myId !== null && r.user_ids.includes(myId);
        return (
          <button
            key={r.emoji}
            type="button"
            className={`reaction ${mine ? "is-mine" : ""} ${pending.has(r.emoji) ? "is-pending" : ""}`}
            aria-pressed={mine}
            title={reactorNames(r.user_ids, usernames)}
            data-emoji={r.emoji}
            onClick={() => onToggle(r.emoji)}
          >
            <span className="reaction__emoji">{r.emoji}</span> <span className="reaction__count">{r.count}</span>
          </button>
        );
      })}
    </div>
  );
}
