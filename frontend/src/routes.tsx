// The app's screens by path, for react-router's data router (created in main.tsx). The layout
// (App) holds the sidebar and the session; each child is what the main pane shows.
import type { RouteObject } from "react-router";
import { App } from "./App";
import { BrowseRooms } from "./components/BrowseRooms";
import { MentionsInbox } from "./components/MentionsInbox";
import { NewRoom } from "./components/NewRoom";
import { Profile } from "./components/Profile";
import { RoomRoute } from "./components/RoomGate";
import { Welcome } from "./components/Welcome";

export const routes: RouteObject[] = [
  {
    path: "/",
    element: <App />,
    children: [
      { index: true, element: <Welcome /> },
      { path: "rooms/:roomId", element: <RoomRoute /> },
      { path: "new", element: <NewRoom /> },
      { path: "browse", element: <BrowseRooms /> },
      { path: "mentions", element: <MentionsInbox /> },
      { path: "profile", element: <Profile /> },
      // /login and /register once signed in, and any unknown path: the welcome page
      { path: "*", element: <Welcome /> },
    ],
  },
];
