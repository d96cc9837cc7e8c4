import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useAppState, useDocumentTitle } from "../hooks";
import { ApiError } from "../realtime/api";
import type { Room } from "../realtime/store";
import { navigate, roomPath } from "../router";
import { QUERY, api, joinRoom } from "../services";
import { RoomIcon } from "./Icon";
import { PaneHeader } from "./PaneHeader";

export function BrowseRooms() {
  const [query, setQuery] = useState("");
  const [asked, setAsked] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [joining, setJoining] = useState<string | null>(null);
  const mine = useAppState((s) => s.rooms);
  const myIds = new Set(mine.map((r) => r.id));
  useDocumentTitle("Browse rooms · roomcast");

  // Asked once the typing pauses; the previous answer stays on screen meanwhile.
  useEffect(() => {
    const timer = window.setTimeout(() => setAsked(query.trim()), 200);
    return () => window.clearTimeout(timer);
  }, [query]);
  const found = useQuery({
    queryKey: QUERY.publicRooms(asked),
    queryFn: () => api.publicRooms(asked),
    placeholderData: keepPreviousData,
  });
  const rooms: Room[] | null = found.data ?? null;
  const loadError = found.isError ? (found.error instanceof ApiError ? found.error.detail : "Could not load rooms.") : null;

  const join = async (room: Room) => {
    setJoining(room.id);
    setError(null);
    try {
      await joinRoom(room.id);
      navigate(roomPath(room.id));
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : "Could not join the room.");
      setJoining(null);
    }
  };

  return (
    <section className="pane__page" aria-labelledby="browse-title">
      <PaneHeader title={<span id="browse-title">Public rooms</span>} />
      <div className="browse">
        <label className="field">
          <span className="visually-hidden">Search public rooms</span>
          <input
            type="search"
            placeholder="Search rooms by name"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            autoFocus
          />
        </label>
        {(error ?? loadError) && (
          <p className="form-error" role="alert">
            {error ?? loadError}
          </p>
        )}
        {rooms === null ? (
          <p className="muted">Loading…</p>
        ) : rooms.length === 0 ? (
          <p className="muted">No public rooms {query ? "match this search" : "yet"}.</p>
        ) : (
          <ul className="browse__list">
            {rooms.map((room) => (
              <li key={room.id} className="browse__item">
                <div>
                  <h2 className="browse__name">
                    <RoomIcon isPrivate={false} /> {room.name}
                  </h2>
                  {room.description && <p className="browse__description">{room.description}</p>}
                </div>
                {myIds.has(room.id) ? (
                  <button type="button" className="button button--ghost" onClick={() => navigate(roomPath(room.id))}>
                    Open
                  </button>
                ) : (
                  <button
                    type="button"
                    className="button button--primary"
                    disabled={joining === room.id}
                    onClick={() => void join(room)}
                    aria-label={`Join ${room.name}`}
                  >
                    {joining === room.id ? "Joining…" : "Join"}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
