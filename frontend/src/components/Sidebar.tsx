import { useAppState } from "../hooks";
import { formatShort } from "../format";
import type { User } from "../realtime/store";
import { linkProps, roomPath } from "../router";
import { signOut } from "../services";
import { Avatar } from "./Avatar";
import { RoomIcon } from "./Icon";

export function Sidebar({ activeRoomId, user }: { activeRoomId: string | null; user: User }) {
  const rooms = useAppState((s) => s.rooms);
  const loaded = useAppState((s) => s.roomsLoaded);
  const sorted = [...rooms].sort((a, b) => activity(b) - activity(a));

  return (
    <aside className="sidebar" aria-label="Rooms and account">
      <header className="sidebar__header">
        <a className="sidebar__brand" {...linkProps("/")}>
          <span className="brand-mark" aria-hidden="true">
            rc
          </span>
          roomcast
        </a>
        <div className="sidebar__me">
          <Avatar name={user.display_name || user.username} size={28} />
          <span className="sidebar__name" title={`Signed in as ${user.username}`}>
            {user.display_name || user.username}
          </span>
          <button type="button" className="button button--ghost button--small" onClick={signOut}>
            Log out
          </button>
        </div>
      </header>
      <div className="sidebar__actions">
        <a className="button button--primary button--small" {...linkProps("/new")}>
          + New room
        </a>
        <a className="button button--ghost button--small" {...linkProps("/browse")}>
          Browse public rooms
        </a>
      </div>
      <nav className="room-list" aria-label="Your rooms">
        <h2 className="room-list__title">Rooms</h2>
        {loaded && sorted.length === 0 && (
          <p className="room-list__empty">No rooms yet. Create one, or join a public room.</p>
        )}
        <ul>
          {sorted.map((room) => {
            const last = room.last_message;
            const unread = room.id === activeRoomId ? 0 : room.unread_count;
            return (
              <li key={room.id}>
                <a
                  className={`room-item ${room.id === activeRoomId ? "is-active" : ""} ${unread ? "has-unread" : ""}`}
                  aria-current={room.id === activeRoomId ? "page" : undefined}
                  {...linkProps(roomPath(room.id))}
                >
                  <span className="room-item__icon" aria-hidden="true">
                    <RoomIcon isPrivate={room.is_private} />
                  </span>
                  <span className="room-item__body">
                    <span className="room-item__top">
                      <span className="room-item__name">{room.name}</span>
                      {last && <time className="room-item__time">{formatShort(last.created_at)}</time>}
                    </span>
                    <span className="room-item__preview">
                      {last
                        ? `${last.sender_username}: ${last.deleted ? "This message was deleted" : last.content}`
                        : "No messages yet"}
                    </span>
                  </span>
                  {unread > 0 && (
                    <span className="badge">
                      <span aria-hidden="true">{unread > 99 ? "99+" : unread}</span>
                      <span className="visually-hidden">, {unread} unread</span>
                    </span>
                  )}
                </a>
              </li>
            );
          })}
        </ul>
      </nav>
    </aside>
  );
}

function activity(room: { last_message: { created_at: string } | null; created_at: string }): number {
  return Date.parse(room.last_message?.created_at ?? room.created_at);
}
