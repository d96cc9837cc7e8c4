import { useEffect, useState, useSyncExternalStore } from "react";
import { titleWithUnread, totalUnread } from "./realtime/roomlist";
import type { AppState } from "./realtime/store";
import { useRoute } from "./router";
import { store } from "./services";

/** A slice of the store; the selector must return a value that is stable while unchanged. */
export function useAppState<T>(select: (state: AppState) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}

/** The current time, ticking every `intervalMs` while `active`. */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}

function subscribeVisibility(listener: () => void): () => void {
  document.addEventListener("visibilitychange", listener);
  return () => document.removeEventListener("visibilitychange", listener);
}

export function useTabVisible(): boolean {
  return useSyncExternalStore(subscribeVisibility, () => document.visibilityState === "visible");
}

/** Unread messages the user has not seen, in every room. */
export function useUnreadTotal(): number {
  const route = useRoute();
  const visible = useTabVisible();
  const openRoomId = route.name === "room" ? route.roomId : null;
  return useAppState((s) => totalUnread(s.rooms, openRoomId, visible));
}

/** The tab's title, led by the unread count: "(3) lobby · roomcast". */
export function useDocumentTitle(title: string): void {
  const unread = useUnreadTotal();
  useEffect(() => {
    document.title = titleWithUnread(title, unread);
  }, [title, unread]);
}
