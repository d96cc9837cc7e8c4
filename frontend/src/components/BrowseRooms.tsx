import { useEffect, useState } from "react";
import { useAppState, useDocumentTitle } from "../hooks";
import { ApiError } from "../realtime/api";
import type { Room } from "../realtime/store";
import { navigate, roomPath } from "../router";
import { api } from "../services";
import { RoomIcon } from "./Icon";
import { PaneHeader } from "./PaneHeader";

export function BrowseRooms() {
  const [query, setQuery] = useState("");
  const [rooms, setRooms] = useState<Room[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [joining, setJoining] = useState<string | null>(null);
  const mine = useAppState((s) => s.rooms);
  const myIds = new Set(mine.map((r) => r.id));
  useDocumentTitle("Browse rooms · roomcast");

  useEffect(() => {
    let cancelled = false;
    const timer = window.setTimeout(() => {
      api.publicRooms(query.trim()).then(
        (found) => {
          if (!cancelled) {
            setRooms(found);
            setError(null);
          }
        },
        (err: unknown) => {
          if (!cancelled) setError(err instanceof ApiError ? err.detail : "Could not load rooms.");
        },
      );
    }, 200);
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [query]);

  const join = async (room: Room) => {
    setJoining(room.id);
    setError(null);
    try {
      await api.join(room.id);
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
        {error && (
          <p className="form-error" role="alert">
            {error}
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
