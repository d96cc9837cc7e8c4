import { useCallback, useEffect, useMemo, useState } from "react";
import { useAppState, useDocumentTitle, useNow, useTabVisible } from "../hooks";
import { NOT_A_MEMBER, type RoomClient } from "../realtime/client";
import { hasOlder } from "../realtime/history";
import { roomAvatarName, roomDisplayName } from "../realtime/names";
import { EMPTY_ROOM, type Room } from "../realtime/store";
import type { Message } from "../realtime/protocol";
import { withSettings } from "../realtime/roomlist";
import { typingLabel } from "../realtime/typing";
import { navigate, roomPath } from "../router";
import { api, connection, loadDmPeer, store } from "../services";
import { Avatar } from "./Avatar";
import { Composer } from "./Composer";
import { farewell } from "./farewell";
import { Icon, RoomIcon } from "./Icon";
import { MembersPanel } from "./MembersPanel";
import { MessageList, type ListHandlers } from "./MessageList";
import { PaneHeader } from "./PaneHeader";
import { RoomSettings } from "./RoomSettings";
import { SearchButton } from "./SearchButton";
import { StatusIndicator } from "./StatusIndicator";
import { useReadMarker } from "./useReadMarker";

const WIDE = "(min-width: 1100px)";

/** A room; `seq`: opened at that message (a search result, a link), else at the newest. */
export function RoomView({ roomId, seq }: { roomId: string; seq: number | null }) {
  const room = useAppState((s) => s.roomStates[roomId] ?? EMPTY_ROOM);
  const summary = useAppState((s) => s.rooms.find((r) => r.id === roomId) ?? null);
  const me = useAppState((s) => s.session?.user ?? null);
  const myId = me?.id ?? "";
  const peers = useAppState((s) => s.dmPeers);
  const [client, setClient] = useState<RoomClient | null>(null);
  const [details, setDetails] = useState<Room | null>(null);
  const members = room.members;
  const [showMembers, setShowMembers] = useState(() => window.matchMedia?.(WIDE).matches ?? false);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [focusSignal, setFocusSignal] = useState(0);
  const info = summary ?? details;
  const isDm = info?.kind === "dm";
  const name = info && me ? roomDisplayName(info, me, peers) : "…";
  const avatar = info && me ? roomAvatarName(info, me, peers) : name;
  useDocumentTitle(`${info ? name : "Room"} · roomcast`);

  useEffect(() => {
    const c = connection.openRoom(roomId);
    setClient(c);
    return () => connection.closeRoom(c);
  }, [roomId]);

  // The message asked for in the address is shown once; the address then names the room only,
  // so that asking for the same message again (the same search result) shows it again. A room
  // just opened is subscribed first: its snapshot then does not land while the jump lays out.
  const subscribed = room.status.kind === "live";
  useEffect(() => {
    if (client === null || seq === null || !subscribed) return;
    void client.jumpTo(seq);
    navigate(roomPath(roomId), true);
  }, [client, seq, roomId, subscribed]);

  useEffect(() => {
    if (isDm) loadDmPeer(roomId);
  }, [isDm, roomId]);

  // The details follow the listing's `room_updated`, so that a room gone from the list (deleted)
  // is still named as it was last called.
  useEffect(() => {
    if (summary !== null) setDetails((d) => (d === null ? summary : withSettings(d, summary)));
  }, [summary]);

  // The room is no longer the user's: back to the room list, saying why. (A reason left from an
  // earlier visit, with the room back in the list, is not news.)
  const removed = summary === null ? room.removed : null;
  useEffect(() => {
    if (removed === null) return;
    store.setRoomNotice(farewell(removed, isDm ? name : `#${name}`));
    navigate("/", true);
  }, [removed, name, isDm]);

  // The member list is a side panel on wide screens and an overlay on narrow ones: shown by
  // default only where it fits.
  useEffect(() => {
    const wide = window.matchMedia?.(WIDE);
    if (!wide) return;
    const onChange = () => setShowMembers(wide.matches);
    wide.addEventListener("change", onChange);
    return () => wide.removeEventListener("change", onChange);
  }, []);

  const loadOlder = useCallback(() => void client?.loadOlder(), [client]);
  const loadNewer = useCallback(() => void client?.loadNewer(), [client]);
  const showNewest = useCallback(() => client?.showNewest(), [client]);

  const loadMembers = useCallback(() => void client?.loadMembers(), [client]);

  const names = useMemo(
    () => new Map(members.map((m) => [m.user_id, m.display_name || m.username])),
    [members],
  );
  // Who reacted is named by username; people who left the room are still known from their messages.
  const jump = room.jump;
  const shown = jump?.messages ?? room.messages;
  const usernames = useMemo(() => {
    const map = new Map<string, string>();
    for (const m of room.messages) map.set(m.sender_id, m.sender_username);
    for (const m of jump?.messages ?? []) map.set(m.sender_id, m.sender_username);
    for (const u of room.online) map.set(u.user_id, u.username);
    for (const m of members) map.set(m.user_id, m.username);
    return map;
  }, [members, room.online, room.messages, jump?.messages]);
  const onlineIds = useMemo(() => new Set(room.online.map((u) => u.user_id)), [room.online]);
  const live = room.status.kind === "live";
  // Someone we do not list yet came online: they joined the room, reload the list.
  const unknownOnline = room.online.some((u) => !members.some((m) => m.user_id === u.user_id));
  useEffect(() => {
    if (live && unknownOnline) loadMembers();
  }, [live, unknownOnline, loadMembers]);

  const lastSeq = room.messages[room.messages.length - 1]?.seq ?? 0;
  const visible = useTabVisible();
  const unread = summary !== null && (summary.unread_count > 0 || summary.read_seq < lastSeq);
  useReadMarker(client, lastSeq, live && visible && unread);

  const limited = room.rateLimitedUntil !== null;
  const now = useNow(limited);
  const rateLimitedFor = room.rateLimitedUntil ? Math.max(0, Math.ceil((room.rateLimitedUntil - now) / 1000)) : 0;
  useEffect(() => {
    if (limited && rateLimitedFor === 0) store.updateRoom(roomId, (r) => ({ ...r, rateLimitedUntil: null }));
  }, [limited, rateLimitedFor, roomId]);

  const myRole = members.find((m) => m.user_id === myId)?.role ?? summary?.role ?? null;
  const notMember = room.status.kind === "offline" && room.status.reason === NOT_A_MEMBER;
  const manages = !isDm && !notMember && removed === null && (myRole === "owner" || myRole === "admin");

  const handlers = useMemo<ListHandlers>(() => {
    const refocus = () => setFocusSignal((n) => n + 1);
    return {
      reply: (message) => {
        setEditingId(null);
        setReplyTo(message);
        refocus();
      },
      startEdit: (id) => setEditingId(id),
      cancelEdit: () => {
        setEditingId(null);
        refocus();
      },
      saveEdit: (id, content) => {
        client?.edit(id, content);
        setEditingId(null);
        refocus();
      },
      remove: (id) => {
        setReplyTo((r) => (r?.id === id ? null : r));
        client?.delete(id);
      },
      toggleReaction: (id, emoji) => void client?.toggleReaction(id, emoji),
      showMessage: (seq) => void client?.jumpTo(seq),
      retry: (id) => client?.retry(id),
      discard: (id) => client?.discard(id),
    };
  }, [client]);

  const editLast = () => {
    let mine: Message | undefined;
    for (const m of room.messages) if (m.sender_id === room.me?.id && !m.deleted) mine = m;
    if (!mine || notMember) return false;
    if (room.jump !== null) client?.showNewest(); // where that message is
    setEditingId(mine.id);
    return true;
  };

  const join = async () => {
    try {
      await api.join(roomId);
      client?.reconnectNow(); // subscribes again, now as a member
    } catch {
      // the page keeps showing why we cannot connect
    }
  };

  const typing = typingLabel(room.typing.map((u) => names.get(u.user_id) ?? u.username));
  return (
    <section className="room" aria-label={`Room ${name}`}>
      <PaneHeader
        title={
          <>
            <span className="room__icon" aria-hidden="true">
              {isDm ? <Avatar id={peers[roomId]?.id} name={avatar} size={22} /> : <RoomIcon isPrivate={info?.is_private ?? false} size={18} />}
            </span>
            {name}
          </>
        }
        subtitle={info?.description || undefined}
      >
        <StatusIndicator status={room.status} onRetry={() => client?.reconnectNow()} />
        <SearchButton />
        {manages && info && <RoomSettings room={info} isOwner={myRole === "owner"} />}
        <button
          type="button"
          className={`button button--ghost button--small members-toggle ${showMembers ? "is-on" : ""}`}
          aria-expanded={showMembers}
          aria-controls="members-panel"
          onClick={() => setShowMembers((v) => !v)}
          title="Members"
        >
          <Icon name="people" size={18} /> {onlineIds.size}
          <span className="visually-hidden"> online, show members</span>
        </button>
      </PaneHeader>
      <div className="room__body">
        <div className="room__main">
          {room.notice && <p className="banner">{room.notice}</p>}
          {notMember && (
            <div className="banner banner--action">
              <span>You are not a member of this room.</span>
              {info && !info.is_private && (
                <button type="button" className="button button--primary button--small" onClick={() => void join()}>
                  Join room
                </button>
              )}
            </div>
          )}
          <MessageList
            roomId={roomId}
            messages={shown}
            run={jump === null ? "live" : `window-${jump.id}`}
            outbox={room.outbox}
            actions={room.actions}
            me={room.me}
            hasOlder={hasOlder(shown)}
            loadingOlder={jump?.loadingOlder ?? room.loadingOlder}
            hasNewer={jump !== null && !jump.atEnd}
            loadingNewer={jump?.loadingNewer ?? false}
            focus={room.focus}
            rateLimitedFor={rateLimitedFor}
            live={live}
            editingId={editingId}
            moderator={myRole === "owner" || myRole === "admin"}
            names={names}
            usernames={usernames}
            handlers={handlers}
            onLoadOlder={loadOlder}
            onLoadNewer={loadNewer}
            onShowNewest={showNewest}
          />
          <div className="typing" aria-live="polite" data-testid="typing">
            {typing && (
              <>
                <span className="typing__dots" aria-hidden="true">
                  <i />
                  <i />
                  <i />
                </span>
                {typing}
              </>
            )}
          </div>
          <Composer
            roomId={roomId}
            target={isDm ? name : `#${name}`}
            client={client}
            rateLimitedFor={rateLimitedFor}
            disabled={notMember}
            replyTo={replyTo && { message: replyTo, name: names.get(replyTo.sender_id) ?? replyTo.sender_username }}
            onCancelReply={() => setReplyTo(null)}
            onEditLast={editLast}
            focusSignal={focusSignal}
          />
        </div>
        {showMembers && (
          <MembersPanel
            roomId={roomId}
            members={members}
            onlineIds={onlineIds}
            meId={myId}
            myRole={myRole}
            isDm={isDm}
            onChanged={loadMembers}
            onClose={() => setShowMembers(false)}
          />
        )}
      </div>
    </section>
  );
}
