import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useAppState, useDocumentTitle } from "../hooks";
import { ApiError } from "../realtime/api";
import { linkProps, useRoute } from "../router";
import { QUERY, api, joinRoom } from "../services";
import { RoomIcon } from "./Icon";
import { PaneHeader } from "./PaneHeader";
import { RoomView } from "./RoomView";

/** Room ids are UUIDs (SPEC §3): anything else is no room, without asking the server. */
const ROOM_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `/rooms/:roomId`: one gate per room, so that nothing of the previous room lingers. */
export function RoomRoute() {
  const route = useRoute();
  if (route.name !== "room") return null;
  return <RoomGate key={route.roomId} roomId={route.roomId} seq={route.seq} />;
}

/**
 * What a room's address shows: the room when it is one of the user's; a public room they are
 * not in as a preview with a Join button; "Room not found" for an unknown, hidden or malformed id.
 */
export function RoomGate({ roomId, seq }: { roomId: string; seq: number | null }) {
  const valid = ROOM_ID.test(roomId);
  const mine = useAppState((s) => s.rooms.some((r) => r.id === roomId));
  const loaded = useAppState((s) => s.roomsLoaded);
  // Once in, the room stays on screen when it goes away (deleted, left): RoomView says why.
  const [entered, setEntered] = useState(mine);
  useEffect(() => {
    if (mine) setEntered(true);
  }, [mine]);
  // Before the room list comes (offline after a reload), a room with something of ours in it
  // (messages waiting to be sent) is shown as it is, reconnecting.
  const waiting = useAppState((s) => !s.roomsLoaded && (s.roomStates[roomId]?.outbox.length ?? 0) > 0);
  const inside = mine || entered || waiting;
  const details = useQuery({
    queryKey: QUERY.room(roomId),
    queryFn: () => api.room(roomId),
    enabled: valid && loaded && !inside,
  });

  if (!valid) return <RoomNotFound />;
  if (inside) return <RoomView roomId={roomId} seq={seq} />;
  if (!loaded || details.isPending) return <RoomLoading />;
  if (details.isError) {
    const err = details.error;
    if (err instanceof ApiError && [403, 404, 422].includes(err.status)) return <RoomNotFound />;
    return <RoomLoading error={err instanceof ApiError ? err.detail : "Could not load the room."} retry={() => void details.refetch()} />;
  }
  return <RoomPreview room={details.data} />;
}

function RoomLoading({ error, retry }: { error?: string; retry?: () => void }) {
  useDocumentTitle("Room · roomcast");
  return (
    <section className="pane__page" aria-busy={error === undefined}>
      <PaneHeader title="…" />
      <div className="empty-state">
        {error ? (
          <>
            <p role="alert">{error}</p>
            <button type="button" className="button button--primary" onClick={retry}>
              Try again
            </button>
          </>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </div>
    </section>
  );
}

export function RoomNotFound() {
  useDocumentTitle("Room not found · roomcast");
  return (
    <section className="pane__page" aria-labelledby="room-missing-title">
      <PaneHeader title={<span id="room-missing-title">Room not found</span>} />
      <div className="empty-state">
        <p>This room does not exist, or you do not have access to it.</p>
        <a className="button button--primary" {...linkProps("/browse")}>
          Browse public rooms
        </a>
      </div>
    </section>
  );
}

type Previewed = Awaited<ReturnType<typeof api.room>>;

/** A public room the user is not in: what it is, and the way in. */
function RoomPreview({ room }: { room: Previewed }) {
  const [joining, setJoining] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useDocumentTitle(`${room.name} · roomcast`);

  const join = async () => {
    setJoining(true);
    setError(null);
    try {
      await joinRoom(room.id);
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : "Could not join the room.");
      setJoining(false);
    }
  };

  const count = room.member_count;
  return (
    <section className="pane__page room-preview" aria-labelledby="room-preview-title">
      <PaneHeader
        title={
          <span id="room-preview-title">
            <span className="room__icon" aria-hidden="true">
              <RoomIcon isPrivate={false} size={18} />
            </span>
            {room.name}
          </span>
        }
      />
      <div className="empty-state">
        <h2 className="room-preview__name">#{room.name}</h2>
        {room.description && <p className="room-preview__description">{room.description}</p>}
        <p className="muted room-preview__members" data-testid="member-count">
          {count === 1 ? "1 member" : `${count} members`}
        </p>
        <p>You are not in this public room yet. Join it to read and write messages.</p>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="button" className="button button--primary" disabled={joining} onClick={() => void join()}>
          {joining ? "Joining…" : "Join room"}
        </button>
      </div>
    </section>
  );
}
