import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError } from "../realtime/api";
import type { RoomInfo } from "../realtime/protocol";
import { withSettings } from "../realtime/roomlist";
import { api, store } from "../services";
import { DeleteRoomStep } from "./DeleteRoomStep";
import { MAX_ROOM_DESCRIPTION, MAX_ROOM_NAME, checkSettings, formOf, type SettingsForm } from "./roomSettings";

interface Props {
  room: RoomInfo;
  /** Only the owner may delete the room. */
  isOwner: boolean;
  onClose: () => void;
}

/** Name, description and visibility of a room (`PATCH`), and for its owner, deleting it. */
export function RoomSettingsDialog({ room, isOwner, onClose }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const [form, setForm] = useState<SettingsForm>(() => formOf(room));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState(false);

  // A modal <dialog>, as NewMessageDialog: focus stays inside, Escape closes it.
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const edit = (patch: Partial<SettingsForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    setError(null);
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const check = checkSettings(room, form);
    if (!check.ok) {
      setError(check.error);
      return;
    }
    if (Object.keys(check.changes).length === 0) {
      onClose();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const updated = await api.updateRoom(room.id, check.changes);
      // Shown at once; `room_updated` brings the same to every other screen.
      store.patchRoomSummary(room.id, (summary) => withSettings(summary, updated));
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : "Could not save the settings. Try again.");
      setBusy(false);
    }
  };

  return (
    <dialog ref={ref} className="dialog dialog--form" aria-labelledby="room-settings-title" onClose={onClose}>
      <header className="dialog__header">
        <h2 id="room-settings-title">Room settings</h2>
        <button type="button" className="button button--ghost button--small" onClick={onClose}>
          Cancel
        </button>
      </header>
      {deleting ? (
        <DeleteRoomStep room={room} onBack={() => setDeleting(false)} />
      ) : (
        <form onSubmit={save} noValidate>
          <label className="field">
            <span>Name</span>
            <input
              name="name"
              required
              maxLength={MAX_ROOM_NAME}
              value={form.name}
              onChange={(e) => edit({ name: e.target.value })}
              autoFocus
            />
          </label>
          <label className="field">
            <span>
              Description <small>(optional)</small>
            </span>
            <textarea
              name="description"
              rows={3}
              maxLength={MAX_ROOM_DESCRIPTION}
              value={form.description}
              onChange={(e) => edit({ description: e.target.value })}
            />
          </label>
          <fieldset className="field field--choices">
            <legend>Who can join</legend>
            <label className="choice">
              <input type="radio" name="visibility" checked={!form.isPrivate} onChange={() => edit({ isPrivate: false })} />
              <span>
                <strong>Public</strong> — anyone can find and join it
              </span>
            </label>
            <label className="choice">
              <input type="radio" name="visibility" checked={form.isPrivate} onChange={() => edit({ isPrivate: true })} />
              <span>
                <strong>Private</strong> — only the members added to it
              </span>
            </label>
          </fieldset>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <div className="form-actions">
            <button type="submit" className="button button--primary" disabled={busy}>
              {busy ? "Saving…" : "Save changes"}
            </button>
          </div>
          {isOwner && (
            <section className="danger-zone" aria-labelledby="danger-zone-title">
              <h3 id="danger-zone-title">Delete this room</h3>
              <p className="muted">The room and its whole history go, for every member.</p>
              <button type="button" className="button button--danger" disabled={busy} onClick={() => setDeleting(true)}>
                Delete room
              </button>
            </section>
          )}
        </form>
      )}
    </dialog>
  );
}
