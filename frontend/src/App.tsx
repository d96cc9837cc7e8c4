import { useEffect } from "react";
import { AuthScreen } from "./components/AuthScreen";
import { BrowseRooms } from "./components/BrowseRooms";
import { NewRoom } from "./components/NewRoom";
import { RoomView } from "./components/RoomView";
import { Icon } from "./components/Icon";
import { SearchPanel } from "./components/SearchPanel";
import { Sidebar } from "./components/Sidebar";
import { useSearchShortcut } from "./components/useSearchShortcut";
import { useAppState, useDocumentTitle } from "./hooks";
import { useRoute } from "./router";
import { stayConnected, store } from "./services";

export function App() {
  const session = useAppState((s) => s.session);
  const userId = session?.user.id ?? null;
  const route = useRoute();
  const searching = useAppState((s) => s.search.open);

  // Keyed on the user, not the session: a renewed token travels over the open socket (`auth`).
  useEffect(() => (userId === null ? undefined : stayConnected()), [userId]);
  useSearchShortcut(userId !== null);

  if (session === null) return <AuthScreen initialMode={route.name === "register" ? "register" : "login"} />;

  const inPane = route.name === "room" || route.name === "new" || route.name === "browse";
  const roomId = route.name === "room" ? route.roomId : null;
  return (
    <div className={`layout ${inPane ? "layout--pane" : "layout--list"}`}>
      <Sidebar activeRoomId={roomId} user={session.user} />
      <main className="pane" id="main">
        {route.name === "room" ? (
          <RoomView key={route.roomId} roomId={route.roomId} seq={route.seq} />
        ) : route.name === "new" ? (
          <NewRoom />
        ) : route.name === "browse" ? (
          <BrowseRooms />
        ) : (
          <Welcome />
        )}
      </main>
      {searching && <SearchPanel currentRoomId={roomId} />}
    </div>
  );
}

function Welcome() {
  const notice = useAppState((s) => s.roomNotice);
  useDocumentTitle("roomcast");
  return (
    <div className="welcome">
      {notice && (
        <div className="banner banner--action welcome__notice" role="status">
          <span>{notice}</span>
          <button type="button" className="button button--ghost button--small" onClick={() => store.setRoomNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      <div className="welcome__mark" aria-hidden="true">
        <Icon name="chat" size={44} />
      </div>
      <h1>Welcome to roomcast</h1>
      <p>Pick a room or a conversation on the left, create a new room, or browse the public rooms.</p>
    </div>
  );
}
