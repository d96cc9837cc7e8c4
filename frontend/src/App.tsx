import { useEffect } from "react";
import { AuthScreen } from "./components/AuthScreen";
import { BrowseRooms } from "./components/BrowseRooms";
import { NewRoom } from "./components/NewRoom";
import { RoomView } from "./components/RoomView";
import { Icon } from "./components/Icon";
import { Sidebar } from "./components/Sidebar";
import { useAppState } from "./hooks";
import { useRoute } from "./router";
import { refreshRooms } from "./services";

const ROOMS_REFRESH_MS = 15_000;

export function App() {
  const session = useAppState((s) => s.session);
  const route = useRoute();

  useEffect(() => {
    if (session === null) return;
    void refreshRooms();
    const timer = window.setInterval(() => void refreshRooms(), ROOMS_REFRESH_MS);
    const onFocus = () => void refreshRooms();
    window.addEventListener("focus", onFocus);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener("focus", onFocus);
    };
  }, [session]);

  if (session === null) return <AuthScreen initialMode={route.name === "register" ? "register" : "login"} />;

  const inPane = route.name === "room" || route.name === "new" || route.name === "browse";
  return (
    <div className={`layout ${inPane ? "layout--pane" : "layout--list"}`}>
      <Sidebar activeRoomId={route.name === "room" ? route.roomId : null} user={session.user} />
      <main className="pane" id="main">
        {route.name === "room" ? (
          <RoomView key={route.roomId} roomId={route.roomId} />
        ) : route.name === "new" ? (
          <NewRoom />
        ) : route.name === "browse" ? (
          <BrowseRooms />
        ) : (
          <Welcome />
        )}
      </main>
    </div>
  );
}

function Welcome() {
  return (
    <div className="welcome">
      <div className="welcome__mark" aria-hidden="true">
        <Icon name="chat" size={44} />
      </div>
      <h1>Welcome to roomcast</h1>
      <p>Pick a room on the left, create a new one, or browse the public rooms.</p>
    </div>
  );
}
