import { useEffect, useRef, useState } from "react";
import { ApiError } from "../realtime/api";
import type { User } from "../realtime/store";
import { navigate, roomPath } from "../router";
import { api, store } from "../services";
import { Avatar } from "./Avatar";
import { keepTabInside } from "./focus";
import { useFocusReturn } from "./useFocusReturn";

const SEARCH_DELAY_MS = 250;

type Found = { query: string; users: User[] } | null;

/** Find someone by name and open the direct message with them. */
export function NewMessageDialog({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<Found>(null);
  const [error, setError] = useState<string | null>(null);
  const [opening, setOpening] = useState<string | null>(null);
  const q = query.trim().replace(/^@/, "");

  // A modal <dialog>: focus stays inside, Escape closes it (`cancel`); unmounting
  // takes it out of the page, so no close() here (its event would close a remounted one).
  // showModal() focuses the first control (Cancel): the focus goes on to the search box.
  useFocusReturn(); // first: it notes the opener before the focus moves in
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    input.current?.focus();
  }, []);

  useEffect(() => {
    if (q === "") return;
    let cancelled = false;
    const timer = window.setTimeout(() => {
      api.users(q).then(
        (users) => {
          if (cancelled) return;
          setFound({ query: q, users });
          setError(null);
        },
        (err: unknown) => !cancelled && setError(err instanceof ApiError ? err.detail : "Could not search."),
      );
    }, SEARCH_DELAY_MS);
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [q]);

  const me = store.getState().session?.user.id;

  const open = async (user: User) => {
    setOpening(user.id);
    setError(null);
    try {
      const room = await api.openDm(user.username);
      store.setDmPeer(room.id, user);
      // Listed at once; `room_added` brings the server's listing of a new DM right after.
      if (!store.getState().rooms.some((r) => r.id === room.id)) {
        store.upsertRoom({ ...room, role: "member", last_seq: 0, read_seq: 0, unread_count: 0, mention_count: 0, last_message: null });
      }
      onClose();
      navigate(roomPath(room.id));
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : "Could not open the conversation.");
      setOpening(null);
    }
  };

  const users = found !== null && found.query === q ? found.users : null;
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="new-message-title"
      onCancel={(e) => {
        // Escape: closed now, in this event, not by the `close` event a task later (a key
        // pressed in between would find it still open); the opener gets the focus back.
        e.preventDefault();
        onClose();
      }}
      onClose={onClose}
      onKeyDown={(e) => keepTabInside(e, e.currentTarget)}
    >
      <header className="dialog__header">
        <h2 id="new-message-title">New message</h2>
        <button type="button" className="button button--ghost button--small" onClick={onClose}>
          Cancel
        </button>
      </header>
      <label className="field">
        <span>To</span>
        <input
          ref={input}
          type="search"
          placeholder="Search people by name"
          autoCapitalize="none"
          spellCheck={false}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog__results" aria-live="polite">
        {q === "" ? (
          <p className="muted">Type the start of a name or username.</p>
        ) : users === null ? (
          <p className="muted">Searching…</p>
        ) : users.length === 0 ? (
          <p className="muted">No one found.</p>
        ) : (
          <ul className="people" aria-label="People">
            {users.map((user) => {
              const name = user.display_name || user.username;
              return (
                <li key={user.id}>
                  <button
                    type="button"
                    className="person"
                    disabled={opening !== null}
                    onClick={() => void open(user)}
                  >
                    <Avatar id={user.id} name={user.username} size={32} />
                    <span className="person__name">
                      <span className="visually-hidden">Message </span>
                      {name}
                      {user.id === me && <span className="muted"> (you)</span>}
                    </span>
                    <span className="person__username">@{user.username}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </dialog>
  );
}
