import { formatShort } from "../format";
import { useAppState } from "../hooks";
import type { RoomSummary } from "../realtime/store";
import { linkProps, roomPath } from "../router";
import { Avatar } from "./Avatar";
import { RoomIcon } from "./Icon";

interface Props {
  room: RoomSummary;
  name: string;
  /** What a DM's avatar is drawn from (the person's username). */
  avatar: string;
  /** The person's id: their colour, as everywhere else. */
  avatarId?: string | null;
  active: boolean;
}

/** One room or direct message in the sidebar: its name, newest message and unread badges. */
export function RoomListItem({ room, name, avatar, avatarId, active }: Props) {
  const last = room.last_message;
  // The room on screen is being read: its counts are about to clear.
  const unread = active ? 0 : room.unread_count;
  const mentions = active ? 0 : room.mention_count;
  // Written here and not confirmed yet (kept across reloads): they go out when the room opens.
  const unsent = useAppState((s) => s.roomStates[room.id]?.outbox.length ?? 0);
  return (
    <li>
      <a
        className={`room-item ${active ? "is-active" : ""} ${unread ? "has-unread" : ""}`}
        aria-current={active ? "page" : undefined}
        data-room-id={room.id}
        {...linkProps(roomPath(room.id))}
      >
        <span className="room-item__icon" aria-hidden="true">
          {room.kind === "dm" ? <Avatar id={avatarId} name={avatar} size={24} /> : <RoomIcon isPrivate={room.is_private} />}
        </span>
        <span className="room-item__body">
          <span className="room-item__top">
            <span className="room-item__name">{name}</span>
            {last && <time className="room-item__time">{formatShort(last.created_at)}</time>}
          </span>
          <span className="room-item__preview">
            {unsent > 0 && !active
              ? `${unsent === 1 ? "1 message" : `${unsent} messages`} not sent yet`
              : last
              ? `${last.sender_username}: ${last.deleted ? "This message was deleted" : last.content}`
              : "No messages yet"}
          </span>
        </span>
        {mentions > 0 && (
          <span className="mention-badge">
            <span aria-hidden="true">@</span>
            <span className="visually-hidden">, {mentions === 1 ? "1 mention" : `${mentions} mentions`}</span>
          </span>
        )}
        {unread > 0 && (
          <span className="badge">
            <span aria-hidden="true">{unread > 99 ? "99+" : unread}</span>
            <span className="visually-hidden">, {unread} unread</span>
          </span>
        )}
      </a>
    </li>
  );
}
