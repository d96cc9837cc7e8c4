// The mentions inbox's data: the user's mention notifications (SPEC §3), and for each the
// message it points at. A notification names its message by id; opening the room at it needs
// its seq, read from the room's history (newest first, a few pages at most).
import type { MessagePage, Notification } from "../realtime/api";
import type { Message } from "../realtime/protocol";

type FetchPage = (roomId: string, page: { before?: number; limit?: number }) => Promise<MessagePage>;

export const PAGE = 200;
export const MAX_PAGES = 5;

/** The message `messageId` of the room, or null when it is not among its newest MAX_PAGES pages. */
export async function findMessage(fetchPage: FetchPage, roomId: string, messageId: string): Promise<Message | null> {
  let before: number | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await fetchPage(roomId, before === undefined ? { limit: PAGE } : { before, limit: PAGE });
    const found = page.messages.find((m) => m.id === messageId);
    if (found) return found;
    const oldest = page.messages[0];
    if (!page.has_more || oldest === undefined) return null;
    before = oldest.seq;
  }
  return null;
}

/** The inbox: mention notifications only, unread first, newest first within each. */
export function mentionsOf(notifications: readonly Notification[]): Notification[] {
  return notifications
    .filter((n) => n.type === "mention")
    .sort((a, b) => Number(a.is_read) - Number(b.is_read) || b.updated_at.localeCompare(a.updated_at));
}

/** The notification read, in the cached list, before the server confirms it. */
export function markedRead(notifications: readonly Notification[] | undefined, id: string | null): Notification[] | undefined {
  return notifications?.map((n) => (id === null || n.id === id ? (n.is_read ? n : { ...n, is_read: true }) : n));
}
