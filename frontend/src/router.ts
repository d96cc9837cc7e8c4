// Routing is react-router's (a data router, created in main.tsx from routes.tsx). This module
// keeps the app's paths in one place and lets code outside components (notifications, the
// session) navigate through the same router.
import { matchPath, useLocation } from "react-router";

export type Route =
  | { name: "home" }
  | { name: "login" }
  | { name: "register" }
  | { name: "new" }
  | { name: "browse" }
  | { name: "mentions" }
  | { name: "profile" }
  /** `seq`: open the room at that message (`?seq=`), not at the newest. */
  | { name: "room"; roomId: string; seq: number | null };

export const PATHS = {
  home: "/",
  login: "/login",
  register: "/register",
  new: "/new",
  browse: "/browse",
  mentions: "/mentions",
  profile: "/profile",
  room: "/rooms/:roomId",
} as const;

/** `?seq=N`: a positive whole number, else null (open at the newest). */
export function seqParam(search: string): number | null {
  const seq = Number(new URLSearchParams(search).get("seq") ?? "");
  return Number.isInteger(seq) && seq > 0 ? seq : null;
}

export function parseRoute(pathname: string, search = ""): Route {
  const room = matchPath(PATHS.room, pathname);
  if (room?.params.roomId) return { name: "room", roomId: decoded(room.params.roomId), seq: seqParam(search) };
  for (const name of ["login", "register", "new", "browse", "mentions", "profile"] as const) {
    if (matchPath({ path: PATHS[name], end: false }, pathname)) return { name };
  }
  return { name: "home" };
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // a malformed escape: the room that does not exist
  }
}

export function roomPath(roomId: string): string {
  return `/rooms/${encodeURIComponent(roomId)}`;
}

/** The room, opened at one of its messages. */
export function messagePath(roomId: string, seq: number): string {
  return `${roomPath(roomId)}?seq=${seq}`;
}

/** What navigates: the app's router once it exists (main.tsx), plain history before (tests). */
interface Navigator {
  navigate(to: string, options: { replace: boolean }): unknown;
}

let active: Navigator | null = null;

export function attachRouter(router: Navigator): void {
  active = router;
}

export function navigate(path: string, replace = false): void {
  if (path === window.location.pathname + window.location.search) return;
  if (active !== null) {
    void active.navigate(path, { replace });
    return;
  }
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
}

export function useRoute(): Route {
  const location = useLocation();
  return parseRoute(location.pathname, location.search);
}

/** Props for an <a> that navigates without a page load but keeps middle-click and copy-link. */
export function linkProps(path: string): { href: string; onClick: (e: React.MouseEvent) => void } {
  return {
    href: path,
    onClick: (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(path);
    },
  };
}
