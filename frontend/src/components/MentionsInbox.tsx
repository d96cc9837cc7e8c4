import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatShort } from "../format";
import { useAppState, useDocumentTitle } from "../hooks";
import { ApiError, type Notification } from "../realtime/api";
import { roomDisplayName } from "../realtime/names";
import { messagePath, navigate, roomPath } from "../router";
import { QUERY, api } from "../services";
import { PaneHeader } from "./PaneHeader";
import { findMessage, markedRead, mentionsOf } from "./mentions";

/**
 * Where the user was named (`@username`): their mention notifications, unread first, live
 * (services.ts asks again when a room's mention count moves); each opens the room at that message.
 */
export function MentionsInbox() {
  const queryClient = useQueryClient();
  const notifications = useQuery({ queryKey: QUERY.notifications, queryFn: () => api.notifications() });
  const mentions = notifications.data ? mentionsOf(notifications.data) : [];
  const unread = mentions.filter((n) => !n.is_read).length;
  useDocumentTitle("Mentions · roomcast");

  const markRead = useMutation({
    mutationFn: (id: string | null) => (id === null ? api.markAllNotificationsRead() : api.markNotificationRead(id)),
    onMutate: (id) => {
      queryClient.setQueryData<Notification[]>(QUERY.notifications, (list) => markedRead(list, id));
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: QUERY.notifications }),
  });

  return (
    <section className="pane__page" aria-labelledby="mentions-title">
      <PaneHeader title={<span id="mentions-title">Mentions</span>}>
        <button
          type="button"
          className="button button--ghost button--small"
          disabled={unread === 0 || markRead.isPending}
          onClick={() => markRead.mutate(null)}
        >
          Mark all as read
        </button>
      </PaneHeader>
      <div className="mentions">
        {notifications.isPending ? (
          <p className="muted">Loading…</p>
        ) : notifications.isError ? (
          <p className="form-error" role="alert">
            {notifications.error instanceof ApiError ? notifications.error.detail : "Could not load your mentions."}
          </p>
        ) : mentions.length === 0 ? (
          <p className="muted">Nobody has mentioned you yet. When someone writes @your-name, it shows here.</p>
        ) : (
          <ul className="mentions__list" aria-label="Your mentions">
            {mentions.map((n) => (
              <MentionEntry key={n.id} notification={n} onOpen={() => !n.is_read && markRead.mutate(n.id)} />
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

function MentionEntry({ notification: n, onOpen }: { notification: Notification; onOpen: () => void }) {
  const room = useAppState((s) => s.rooms.find((r) => r.id === n.room_id) ?? null);
  const me = useAppState((s) => s.session?.user ?? null);
  const peers = useAppState((s) => s.dmPeers);
  const found = useQuery({
    queryKey: ["mentioned-message", n.room_id, n.message_id],
    queryFn: () => findMessage((roomId, page) => api.messages(roomId, page), n.room_id, n.message_id),
    enabled: room !== null,
    staleTime: Infinity,
  });
  const message = found.data ?? null;
  const where = room && me ? (room.kind === "dm" ? roomDisplayName(room, me, peers) : `#${roomDisplayName(room, me, peers)}`) : "a room you are no longer in";
  const path = message ? messagePath(n.room_id, message.seq) : roomPath(n.room_id);
  return (
    <li className={`mention-entry ${n.is_read ? "" : "is-unread"}`} data-notification-id={n.id}>
      <a
        className="mention-entry__link"
        href={path}
        onClick={(e) => {
          if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
          e.preventDefault();
          onOpen();
          navigate(path);
        }}
      >
        <span className="mention-entry__top">
          <span className="mention-entry__where">
            {message ? `${message.sender_username} mentioned you in ${where}` : `Mentioned in ${where}`}
          </span>
          <time className="mention-entry__time" dateTime={n.updated_at}>
            {formatShort(n.updated_at)}
          </time>
        </span>
        <span className="mention-entry__text">
          {message ? (message.deleted ? "This message was deleted" : message.content) : found.isPending && room ? "…" : ""}
        </span>
        <span className="mention-entry__meta">
          {n.count > 1 && <span>{n.count} mentions</span>}
          {!n.is_read && <span className="mention-entry__unread">Unread</span>}
        </span>
      </a>
    </li>
  );
}
