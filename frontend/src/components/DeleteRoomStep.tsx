import { useState, type FormEvent } from "react";
import { ApiError } from "../realtime/api";
import type { RoomInfo } from "../realtime/protocol";
import { navigate } from "../router";
import { api, store } from "../services";
import { farewell } from "./farewell";
import { confirmsDeletion } from "./roomSettings";

/** The owner confirms the deletion by typing the room's name; then the room list, with a notice. */
export function DeleteRoomStep({ room, onBack }: { room: RoomInfo; onBack: () => void }) {
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const confirmed = confirmsDeletion(room, typed);

  const remove = async (event: FormEvent) => {
    event.preventDefault();
    if (!confirmed) return;
    setBusy(true);
    setError(null);
    try {
      await api.deleteRoom(room.id);
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : "Could not delete the room. Try again.");
      setBusy(false);
      return;
    }
    // `room_removed` says the same to every member's screen, ours too, maybe after we left.
    store.removeRoom(room.id);
    store.setRoomNotice(farewell("deleted", `#${room.name}`));
    navigate("/", true);
  };

  return (
    <form onSubmit={remove} noValidate className="delete-room">
      <p>
        Deleting <strong>#{room.name}</strong> removes it and its whole history for every member. This cannot be undone.
      </p>
      <label className="field">
        <span>
          Type <strong>{room.name}</strong> to confirm
        </span>
        <input
          name="confirm-name"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          aria-invalid={typed !== "" && !confirmed}
          autoFocus
        />
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="button button--ghost" onClick={onBack} disabled={busy}>
          Keep the room
        </button>
        <button type="submit" className="button button--danger button--danger-solid" disabled={!confirmed || busy}>
          {busy ? "Deleting…" : "Delete room forever"}
        </button>
      </div>
    </form>
  );
}
