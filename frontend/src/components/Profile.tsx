import { useMutation } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { useAppState, useDocumentTitle } from "../hooks";
import { ApiError } from "../realtime/api";
import { api, store } from "../services";
import { PaneHeader } from "./PaneHeader";

const MIN_PASSWORD = 8;

/** The user's own account: the name others see, and the password. */
export function Profile() {
  const user = useAppState((s) => s.session?.user ?? null);
  useDocumentTitle("Profile · roomcast");
  if (user === null) return null;
  return (
    <section className="pane__page" aria-labelledby="profile-title">
      <PaneHeader title={<span id="profile-title">Your profile</span>} subtitle={`Signed in as ${user.username}`} />
      <div className="profile">
        <DisplayNameForm current={user.display_name} />
        <PasswordForm />
      </div>
    </section>
  );
}

function DisplayNameForm({ current }: { current: string }) {
  const [name, setName] = useState(current);
  // Renamed elsewhere (another device): the field follows.
  useEffect(() => setName(current), [current]);
  const rename = useMutation({
    mutationFn: (displayName: string) => api.updateMe(displayName),
    // The new name shows here now; the rooms hear it as `user_updated`.
    onSuccess: (user) => store.updateUser(user),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === "" || name.trim() === current) return;
    rename.mutate(name.trim());
  };
  const error = rename.error ? nameError(rename.error) : name.trim() === "" ? "Give yourself a name." : null;
  return (
    <form className="form-card" onSubmit={submit} aria-labelledby="display-name-title" noValidate>
      <h2 id="display-name-title">Display name</h2>
      <label className="field">
        <span>Display name</span>
        <input
          name="display_name"
          autoComplete="nickname"
          maxLength={64}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            rename.reset();
          }}
          aria-invalid={error !== null}
          aria-describedby={error ? "display-name-error" : undefined}
        />
      </label>
      {error && (
        <p className="form-error" id="display-name-error" role="alert">
          {error}
        </p>
      )}
      {rename.isSuccess && (
        <p className="notice" role="status">
          Saved. Everyone in your rooms now sees you as {current}.
        </p>
      )}
      <div className="form-actions">
        <button
          type="submit"
          className="button button--primary"
          disabled={rename.isPending || name.trim() === "" || name.trim() === current}
        >
          {rename.isPending ? "Saving…" : "Save name"}
        </button>
      </div>
    </form>
  );
}

function PasswordForm() {
  const [currentPassword, setCurrent] = useState("");
  const [newPassword, setNew] = useState("");
  const [confirm, setConfirm] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: () => api.changePassword(currentPassword, newPassword),
    onSuccess: () => {
      setCurrent("");
      setNew("");
      setConfirm("");
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    change.reset();
    if (currentPassword === "") return setProblem("Enter your current password.");
    if (newPassword.length < MIN_PASSWORD) return setProblem(`New password: at least ${MIN_PASSWORD} characters.`);
    if (newPassword !== confirm) return setProblem("The two new passwords differ.");
    setProblem(null);
    change.mutate();
  };
  const error = problem ?? (change.error ? passwordError(change.error) : null);
  return (
    <form className="form-card" onSubmit={submit} aria-labelledby="password-title" noValidate>
      <h2 id="password-title">Password</h2>
      <label className="field">
        <span>Current password</span>
        <input
          type="password"
          name="current_password"
          autoComplete="current-password"
          value={currentPassword}
          onChange={(e) => setCurrent(e.target.value)}
        />
      </label>
      <label className="field">
        <span>New password</span>
        <input
          type="password"
          name="new_password"
          autoComplete="new-password"
          value={newPassword}
          onChange={(e) => setNew(e.target.value)}
        />
      </label>
      <label className="field">
        <span>Repeat the new password</span>
        <input
          type="password"
          name="confirm_password"
          autoComplete="new-password"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
        />
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {change.isSuccess && (
        <p className="notice" role="status">
          Password changed. Your other sessions were logged out.
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={change.isPending}>
          {change.isPending ? "Changing…" : "Change password"}
        </button>
      </div>
    </form>
  );
}

function nameError(err: unknown): string {
  if (!(err instanceof ApiError)) return "Could not save the name.";
  if (err.status === 422) return "Display name: no control or text-direction characters, at most 64 characters.";
  return err.status === 0 ? err.detail : `Could not save the name: ${err.detail}`;
}

export function passwordError(err: unknown): string {
  if (!(err instanceof ApiError)) return "Could not change the password.";
  if (err.status === 403) return "The current password is wrong.";
  if (err.status === 422) return `New password: at least ${MIN_PASSWORD} characters.`;
  if (err.status === 429) {
    return `Too many wrong attempts. Try again ${err.retryAfter ? `in ${err.retryAfter} s` : "later"}.`;
  }
  return err.status === 0 ? err.detail : `Could not change the password: ${err.detail}`;
}
