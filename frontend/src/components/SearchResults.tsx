import { formatDateTime, formatShort } from "../format";
import type { Message } from "../realtime/protocol";
import { highlight, snippet } from "../realtime/query";
import type { ResultGroup } from "../realtime/search";
import { linkProps, messagePath } from "../router";
import { Avatar } from "./Avatar";
import { RoomIcon } from "./Icon";

/** Text with the stretches that match the terms in <mark>: React text nodes, never HTML. */
export function Highlighted({ text, terms }: { text: string; terms: readonly string[] }) {
  return (
    <>
      {highlight(text, terms).map((segment, i) => (segment.match ? <mark key={i}>{segment.text}</mark> : segment.text))}
    </>
  );
}

interface Props {
  groups: ResultGroup[];
  terms: readonly string[];
  /** Room id → whether it is a private room or a DM (its icon). */
  kinds: ReadonlyMap<string, { isPrivate: boolean; isDm: boolean }>;
  /** A result was chosen to open (a plain click or Enter: not a new tab). */
  onOpen: (message: Message) => void;
}

/** The results, grouped by room: each a link to the room at that message. */
export function SearchResults({ groups, terms, kinds, onOpen }: Props) {
  return (
    <>
      {groups.map((group) => {
        const headingId = `search-group-${group.roomId}`;
        const kind = kinds.get(group.roomId);
        return (
          <section key={group.roomId} className="search-group" aria-labelledby={headingId} data-room-id={group.roomId}>
            <h3 id={headingId} className="search-group__name">
              <span className="search-group__icon" aria-hidden="true">
                {kind?.isDm ? <Avatar name={group.name} size={18} /> : <RoomIcon isPrivate={kind?.isPrivate ?? false} size={14} />}
              </span>
              {group.name}
            </h3>
            <ul className="search-group__results">
              {group.results.map((message) => (
                <li key={message.id}>
                  <ResultLink message={message} terms={terms} onOpen={onOpen} />
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </>
  );
}

function ResultLink({ message, terms, onOpen }: { message: Message; terms: readonly string[]; onOpen: Props["onOpen"] }) {
  const link = linkProps(messagePath(message.room_id, message.seq));
  return (
    <a
      className="search-result"
      data-message-id={message.id}
      data-seq={message.seq}
      href={link.href}
      onClick={(e) => {
        link.onClick(e);
        if (e.defaultPrevented) onOpen(message); // opened here, not in a new tab
      }}
    >
      <span className="search-result__meta">
        <span className="search-result__sender">{message.sender_username}</span>
        <time dateTime={message.created_at} title={formatDateTime(message.created_at)}>
          {formatShort(message.created_at)}
        </time>
      </span>
      <span className="search-result__text">
        <Highlighted text={snippet(message.content, terms)} terms={terms} />
      </span>
    </a>
  );
}
