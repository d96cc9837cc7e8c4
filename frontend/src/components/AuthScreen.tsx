import { useState, type FormEvent } from "react";
import { useAppState, useDocumentTitle } from "../hooks";
import { ApiError } from "../realtime/api";
import { sessionFromTokens } from "../realtime/session";
import { navigate } from "../router";
import { api, store } from "../services";

type Mode = "login" | "register";

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;

export function AuthScreen({ initialMode }: { initialMode: Mode }) {
  const [mode, setMode] = useState<Mode>(initialMode);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const notice = useAppState((s) => s.notice);
  useDocumentTitle(mode === "login" ? "Log in · roomcast" : "Create account · roomcast");

  const switchMode = (next: Mode) => {
    setMode(next);
    setError(null);
    const path = window.location.pathname;
    if (path === "/login" || path === "/register") navigate(`/${next}`, true);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mode === "register") {
      if (!USERNAME.test(username)) {
        setError("Username: 3 to 32 letters, digits, dots, dashes or underscores.");
        return;
      }
      if (password.length < 8) {
        setError("Password: at least 8 characters.");
        return;
      }
    }
    setBusy(true);
    setError(null);
    try {
      if (mode === "register") await api.register(username, password, displayName.trim() || undefined);
      const token = await api.login(username, password);
      const user = await api.me(token.access_token);
      store.signIn(sessionFromTokens(token, user, Date.now()));
      const path = window.location.pathname;
      if (path === "/login" || path === "/register") navigate("/", true);
    } catch (err) {
      setError(describe(err, mode));
    } finally {
      setBusy(false);
    }
  };

  const errorId = "auth-error";
  return (
    <main className="auth" id="main">
      <form className="auth__card" onSubmit={submit} aria-labelledby="auth-title" noValidate>
        <div className="auth__brand">
          <span className="brand-mark" aria-hidden="true">
            rc
          </span>
          roomcast
        </div>
        <h1 id="auth-title">{mode === "login" ? "Log in" : "Create your account"}</h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label className="field">
          <span>Username</span>
          <input
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            aria-invalid={error !== null}
            aria-describedby={error ? errorId : undefined}
            autoFocus
          />
        </label>
        {mode === "register" && (
          <label className="field">
            <span>
              Display name <small>(optional)</small>
            </span>
            <input
              name="display_name"
              autoComplete="nickname"
              maxLength={64}
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
            />
          </label>
        )}
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete={mode === "login" ? "current-password" : "new-password"}
            required
            minLength={mode === "register" ? 8 : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={error !== null}
            aria-describedby={error ? errorId : undefined}
          />
        </label>
        {error && (
          <p className="form-error" id={errorId} role="alert">
            {error}
          </p>
        )}
        <button className="button button--primary button--block" type="submit" disabled={busy}>
          {busy ? "Please wait…" : mode === "login" ? "Log in" : "Create account"}
        </button>
        <p className="auth__switch">
          {mode === "login" ? "New here?" : "Already have an account?"}{" "}
          <button type="button" className="link" onClick={() => switchMode(mode === "login" ? "register" : "login")}>
            {mode === "login" ? "Create an account" : "Log in"}
          </button>
        </p>
      </form>
    </main>
  );
}

function describe(err: unknown, mode: Mode): string {
  if (!(err instanceof ApiError)) return "Something went wrong. Please try again.";
  if (err.status === 401) return "Wrong username or password.";
  if (err.status === 409) return "That username is taken. Try another one.";
  if (err.status === 429) {
    const seconds = err.rateLimit?.time_until_reset;
    return `Too many attempts. Try again ${seconds ? `in ${seconds} s` : "later"}.`;
  }
  if (err.status === 422) {
    if (/password/i.test(err.detail)) return "Password: at least 8 characters.";
    if (/username/i.test(err.detail)) return "Username: 3 to 32 letters, digits, dots, dashes or underscores.";
    if (/display_name/i.test(err.detail)) return "Display name: no control or text-direction characters.";
  }
  if (err.status === 0) return err.detail;
  return mode === "login" ? `Could not log in: ${err.detail}` : `Could not create the account: ${err.detail}`;
}
