import { useEffect, useRef, useState, type FormEvent, type RefObject } from "react";
import { ApiError } from "../realtime/api";
import type { RoomInfo } from "../realtime/protocol";
import { withSettings } from "../realtime/roomlist";
import { api, store } from "../services";
import { DeleteRoomStep } from "./DeleteRoomStep";
import { keepTabInside } from "./focus";
import { useFocusReturn } from "./useFocusReturn";
import { MAX_ROOM_DESCRIPTION, MAX_ROOM_NAME, checkSettings, formOf, type SettingsForm } from "./roomSettings";

interface Props {
  room: RoomInfo;
  /** Only the owner may delete the room. */
  isOwner: boolean;
  onClose: () => void;
  /** Takes the focus back when the dialog closes. */
  opener?: RefObject<HTMLElement | null>;
}

/** Name, description and visibility of a room (`PATCH`), and for its owner, deleting it. */
export function RoomSettingsDialog({ room, isOwner, onClose, opener }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const nameField = useRef<HTMLInputElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const leftDeleting = useRef(false);
  const [form, setForm] = useState<SettingsForm>(() => formOf(room));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState(false);

  // A modal <dialog>, as NewMessageDialog: focus stays inside, Escape closes it. showModal()
  // focuses the first control (Cancel): the name is what one comes to change.
  useFocusReturn(() => opener?.current); // first: it notes the opener before the focus moves in
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    nameField.current?.focus();
  }, []);

  // Back from the delete step ("Keep the room"): to the button that went there, not to <body>.
  useEffect(() => {
    if (deleting) leftDeleting.current = true;
    else if (leftDeleting.current) deleteButton.current?.focus();
  }, [deleting]);

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
    <dialog
      ref={ref}
      className="dialog dialog--form"
      aria-labelledby="room-settings-title"
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
              ref={nameField}
              name="name"
              required
              maxLength={MAX_ROOM_NAME}
              value={form.name}
              onChange={(e) => edit({ name: e.target.value })}
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
              <button
                ref={deleteButton}
                type="button"
                className="button button--danger"
                disabled={busy}
                onClick={() => setDeleting(true)}
              >
                Delete room
              </button>
            </section>
          )}
        </form>
      )}
    </dialog>
  );
}
