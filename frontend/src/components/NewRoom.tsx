import { useState, type FormEvent } from "react";
import { useDocumentTitle } from "../hooks";
import { ApiError } from "../realtime/api";
import { navigate, roomPath } from "../router";
import { api } from "../services";
import { PaneHeader } from "./PaneHeader";

export function parseUsernames(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((u) => u.replace(/^@/, "")).filter(Boolean))];
}

export function NewRoom() {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [isPrivate, setPrivate] = useState(false);
  const [members, setMembers] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useDocumentTitle("New room · roomcast");

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === "") {
      setError("Give the room a name.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const room = await api.createRoom(name.trim(), description.trim(), isPrivate, parseUsernames(members));
      navigate(roomPath(room.id));
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : "Could not create the room.");
      setBusy(false);
    }
  };

  return (
    <section className="pane__page" aria-labelledby="new-room-title">
      <PaneHeader title={<span id="new-room-title">Create a room</span>} />
      <form className="form-card" onSubmit={submit} noValidate>
        <label className="field">
          <span>Name</span>
          <input
            name="name"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. general"
            autoFocus
          />
        </label>
        <label className="field">
          <span>
            Description <small>(optional)</small>
          </span>
          <input
            name="description"
            maxLength={1000}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            placeholder="What is this room about?"
          />
        </label>
        <fieldset className="field field--choices">
          <legend>Who can join</legend>
          <label className="choice">
            <input type="radio" name="visibility" checked={!isPrivate} onChange={() => setPrivate(false)} />
            <span>
              <strong>Public</strong> — anyone can find and join it
            </span>
          </label>
          <label className="choice">
            <input type="radio" name="visibility" checked={isPrivate} onChange={() => setPrivate(true)} />
            <span>
              <strong>Private</strong> — only the members you add
            </span>
          </label>
        </fieldset>
        <label className="field">
          <span>
            Add members <small>(usernames, separated by commas or spaces)</small>
          </span>
          <input
            name="members"
            autoCapitalize="none"
            spellCheck={false}
            value={members}
            onChange={(e) => setMembers(e.target.value)}
            placeholder="alice, bob"
          />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? "Creating…" : "Create room"}
          </button>
        </div>
      </form>
    </section>
  );
}
