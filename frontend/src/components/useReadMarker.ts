import { useEffect, useRef } from "react";
import type { RoomClient } from "../realtime/client";

const THROTTLE_MS = 300;

/**
 * Marks the room read up to `seq` while `needed` (on screen, tab visible, something unread):
 * at once, then at most every 300 ms while messages keep coming, and once more if the room
 * leaves the screen with a read still waiting. The server's `read_marker` then clears the
 * badge on every device of the user.
 */
export function useReadMarker(client: RoomClient | null, seq: number, needed: boolean): void {
  const waiting = useRef<number | null>(null);
  const markedAt = useRef(0);

  useEffect(() => {
    waiting.current = null;
    if (client === null || !needed || seq === 0) return;
    const mark = () => {
      if (!client.markRead(seq)) return;
      markedAt.current = Date.now();
      waiting.current = null;
    };
    const wait = markedAt.current + THROTTLE_MS - Date.now();
    if (wait <= 0) {
      mark();
      return;
    }
    waiting.current = seq;
    const timer = window.setTimeout(mark, wait);
    return () => window.clearTimeout(timer);
  }, [client, seq, needed]);

  useEffect(
    () => () => {
      const seq = waiting.current;
      if (client !== null && seq !== null) client.markRead(seq);
    },
    [client],
  );
}
