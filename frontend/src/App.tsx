import { useEffect } from "react";
import { Outlet } from "react-router";
import { AuthScreen } from "./components/AuthScreen";
import { SearchPanel } from "./components/SearchPanel";
import { Sidebar } from "./components/Sidebar";
import { useSearchShortcut } from "./components/useSearchShortcut";
import { useAppState } from "./hooks";
import { useRoute } from "./router";
import { stayConnected } from "./services";

/** The layout of every screen: the sidebar and, in the main pane, the route's screen. */
export function App() {
  const session = useAppState((s) => s.session);
  const userId = session?.user.id ?? null;
  const route = useRoute();
  const searching = useAppState((s) => s.search.open);

  // Keyed on the user, not the session: a renewed token travels over the open socket (`auth`).
  useEffect(() => (userId === null ? undefined : stayConnected()), [userId]);
  useSearchShortcut(userId !== null);

  if (session === null) return <AuthScreen initialMode={route.name === "register" ? "register" : "login"} />;

  // On a phone the room list and the pane take turns: the home page is the list.
  const inPane = route.name !== "home" && route.name !== "login" && route.name !== "register";
  const roomId = route.name === "room" ? route.roomId : null;
  return (
    <div className={`layout ${inPane ? "layout--pane" : "layout--list"}`}>
      <Sidebar activeRoomId={roomId} user={session.user} />
      <main className="pane" id="main">
        <Outlet />
      </main>
      {searching && <SearchPanel currentRoomId={roomId} />}
    </div>
  );
}
