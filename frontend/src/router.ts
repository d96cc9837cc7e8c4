// A tiny history-API router: the server answers index.html for every client-side path.
import { useSyncExternalStore } from "react";

export type Route =
  | { name: "home" }
  | { name: "login" }
  | { name: "register" }
  | { name: "new" }
  | { name: "browse" }
  /** `seq`: open the room at that message (`?seq=`), not at the newest. */
  | { name: "room"; roomId: string; seq: number | null };

export function parseRoute(pathname: string, search = ""): Route {
  const parts = pathname.split("/").filter(Boolean);
  if (parts[0] === "login") return { name: "login" };
  if (parts[0] === "register") return { name: "register" };
  if (parts[0] === "new") return { name: "new" };
  if (parts[0] === "browse") return { name: "browse" };
  if (parts[0] === "rooms" && parts[1]) {
    const seq = Number(new URLSearchParams(search).get("seq") ?? "");
    return { name: "room", roomId: decodeURIComponent(parts[1]), seq: Number.isInteger(seq) && seq > 0 ? seq : null };
  }
  return { name: "home" };
}

export function roomPath(roomId: string): string {
  return `/rooms/${encodeURIComponent(roomId)}`;
}

/** The room, opened at one of its messages. */
export function messagePath(roomId: string, seq: number): string {
  return `${roomPath(roomId)}?seq=${seq}`;
}

const CHANGE = "roomcast:navigate";

export function navigate(path: string, replace = false): void {
  if (path === window.location.pathname + window.location.search) return;
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  window.dispatchEvent(new Event(CHANGE));
}

function subscribe(listener: () => void): () => void {
  window.addEventListener("popstate", listener);
  window.addEventListener(CHANGE, listener);
  return () => {
    window.removeEventListener("popstate", listener);
    window.removeEventListener(CHANGE, listener);
  };
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

function useSearchParams(): string {
  return useSyncExternalStore(subscribe, () => window.location.search);
}

export function useRoute(): Route {
  return parseRoute(usePathname(), useSearchParams());
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
