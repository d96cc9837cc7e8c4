import { useEffect, useState } from "react";
import { useAppState } from "../hooks";
import { roomAvatarName, roomDisplayName } from "../realtime/names";
import { byActivity } from "../realtime/roomlist";
import type { RoomSummary, User } from "../realtime/store";
import { linkProps, useRoute } from "../router";
import { loadDmPeer, signOut } from "../services";
import { Avatar } from "./Avatar";
import { SearchButton } from "./SearchButton";
import { NewMessageDialog } from "./NewMessageDialog";
import { NotificationToggle } from "./NotificationToggle";
import { RoomListItem } from "./RoomListItem";

export function Sidebar({ activeRoomId, user }: { activeRoomId: string | null; user: User }) {
  const rooms = useAppState((s) => s.rooms);
  const route = useRoute();
  const mentions = rooms.reduce((sum, r) => sum + (r.id === activeRoomId ? 0 : r.mention_count), 0);
  const loaded = useAppState((s) => s.roomsLoaded);
  const peers = useAppState((s) => s.dmPeers);
  const [composing, setComposing] = useState(false);
  const sorted = byActivity(rooms);
  const channels = sorted.filter((r) => r.kind !== "dm");
  const dms = sorted.filter((r) => r.kind === "dm");

  const unnamed = dms.filter((dm) => !(dm.id in peers)).map((dm) => dm.id).join(" ");
  useEffect(() => {
    for (const roomId of unnamed.split(" ")) if (roomId) loadDmPeer(roomId);
  }, [unnamed]);

  const item = (room: RoomSummary) => (
    <RoomListItem
      key={room.id}
      room={room}
      name={roomDisplayName(room, user, peers)}
      avatar={roomAvatarName(room, user, peers)}
      avatarId={room.kind === "dm" ? (peers[room.id]?.id ?? null) : null}
      active={room.id === activeRoomId}
    />
  );

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
          <a
            className="sidebar__profile"
            title={`Signed in as ${user.username}: your profile`}
            aria-current={route.name === "profile" ? "page" : undefined}
            {...linkProps("/profile")}
          >
            <Avatar id={user.id} name={user.username} size={28} />
            <span className="sidebar__name">{user.display_name || user.username}</span>
            <span className="visually-hidden">, your profile</span>
          </a>
          <button type="button" className="button button--ghost button--small" onClick={signOut}>
            Log out
          </button>
        </div>
      </header>
      <div className="sidebar__search">
        <SearchButton wide />
      </div>
      <div className="sidebar__actions">
        <a className="button button--primary button--small" {...linkProps("/new")}>
          + New room
        </a>
        <a className="button button--ghost button--small" {...linkProps("/browse")}>
          Browse public rooms
        </a>
        <a
          className={`button button--ghost button--small sidebar__mentions ${route.name === "mentions" ? "is-on" : ""}`}
          aria-current={route.name === "mentions" ? "page" : undefined}
          {...linkProps("/mentions")}
        >
          <span aria-hidden="true">@</span> Mentions
          {mentions > 0 && (
            <span className="badge">
              <span aria-hidden="true">{mentions > 99 ? "99+" : mentions}</span>
              <span className="visually-hidden">, {mentions} unread</span>
            </span>
          )}
        </a>
      </div>
      <div className="room-list">
        <nav aria-label="Your rooms">
          <h2 className="room-list__title">Rooms</h2>
          {loaded && channels.length === 0 && (
            <p className="room-list__empty">No rooms yet. Create one, or join a public room.</p>
          )}
          <ul>{channels.map(item)}</ul>
        </nav>
        <nav aria-label="Direct messages">
          <div className="room-list__heading">
            <h2 className="room-list__title">Direct messages</h2>
            <button
              type="button"
              className="button button--ghost button--small room-list__add"
              onClick={() => setComposing(true)}
            >
              New message
            </button>
          </div>
          {loaded && dms.length === 0 && <p className="room-list__empty">No conversations yet.</p>}
          <ul>{dms.map(item)}</ul>
        </nav>
      </div>
      <footer className="sidebar__footer">
        <NotificationToggle />
      </footer>
      {composing && <NewMessageDialog onClose={() => setComposing(false)} />}
    </aside>
  );
}
