import { useCallback, useEffect, useRef, useState, useSyncExternalStore, type FormEvent, type ReactNode } from "react";
import { ApiError, type Member } from "../realtime/api";
import { navigate } from "../router";
import { api } from "../services";
import { Avatar } from "./Avatar";
import { keepTabInside } from "./focus";
import { Icon } from "./Icon";
import { useFocusReturn } from "./useFocusReturn";

interface Props {
  roomId: string;
  members: Member[];
  onlineIds: ReadonlySet<string>;
  meId: string;
  myRole: string | null;
  /** A direct message has exactly its two people: nobody is added, removed or leaves. */
  isDm: boolean;
  onChanged: () => void;
  onClose: () => void;
}

const ROLE_ORDER: Record<string, number> = { owner: 0, admin: 1, member: 2 };

/** Where styles.css lays the panel over the room rather than beside it: there it is a modal dialog. */
const OVERLAY = "(max-width: 1099px)";
const PANEL_ID = "members-panel";

function useMedia(query: string): boolean {
  const subscribe = useCallback(
    (listener: () => void) => {
      const list = window.matchMedia?.(query);
      list?.addEventListener("change", listener);
      return () => list?.removeEventListener("change", listener);
    },
    [query],
  );
  return useSyncExternalStore(
    subscribe,
    () => window.matchMedia?.(query).matches ?? false,
    () => false,
  );
}

/** The header's button that shows and hides this panel (it names the panel in aria-controls). */
function toggleButton(): HTMLElement | null {
  return document.querySelector<HTMLElement>(`[aria-controls="${PANEL_ID}"]`);
}

export function MembersPanel({ roomId, members, onlineIds, meId, myRole, isDm, onChanged, onClose }: Props) {
  const [username, setUsername] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const canManage = !isDm && (myRole === "owner" || myRole === "admin");
  const isOwner = myRole === "owner";
  const sorted = [...members].sort(
    (a, b) =>
      Number(onlineIds.has(b.user_id)) - Number(onlineIds.has(a.user_id)) ||
      (ROLE_ORDER[a.role] ?? 9) - (ROLE_ORDER[b.role] ?? 9) ||
      a.username.localeCompare(b.username),
  );
  const onlineCount = members.filter((m) => onlineIds.has(m.user_id)).length;
  const overlay = useMedia(OVERLAY);

  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      onChanged();
      return true;
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : "That did not work. Try again.");
      return false;
    } finally {
      setBusy(false);
    }
  };

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const name = username.trim().replace(/^@/, "");
    if (!name) return;
    if (await run(() => api.addMember(roomId, name))) setUsername("");
  };

  const body = (
    <>
      <header className="members__header">
        <h2 id="members-title">
          Members <span className="muted">{onlineCount} online · {members.length} total</span>
        </h2>
        <button type="button" className="button button--ghost button--small members__close" onClick={onClose} aria-label="Close members">
          <Icon name="close" />
        </button>
      </header>
      {canManage && (
        <form className="members__add" onSubmit={add}>
          <label htmlFor={`add-member-${roomId}`} className="visually-hidden">
            Username to add
          </label>
          <input
            id={`add-member-${roomId}`}
            placeholder="Add someone by username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
          <button type="submit" className="button button--small button--primary" disabled={busy || !username.trim()}>
            Add
          </button>
        </form>
      )}
      {error && (
        <p className="form-error members__error" role="alert">
          {error}
        </p>
      )}
      <ul className="members__list" aria-label="Room members">
        {sorted.map((member) => {
          const online = onlineIds.has(member.user_id);
          const name = member.display_name || member.username;
          return (
            <li key={member.user_id} className={`member ${online ? "is-online" : ""}`} data-username={member.username}>
              <Avatar id={member.user_id} name={member.username} online={online} size={32} />
              <div className="member__body">
                <span className="member__name">
                  {name}
                  {member.user_id === meId && <span className="muted"> (you)</span>}
                </span>
                <span className="member__sub">
                  {member.username !== name && `@${member.username} · `}
                  {online ? "online" : "offline"}
                </span>
              </div>
              {member.role !== "member" && <span className={`role role--${member.role}`}>{member.role}</span>}
              {canManage && member.user_id !== meId && member.role !== "owner" && (
                <div className="member__actions">
                  {isOwner && (
                    <button
                      type="button"
                      className="button button--small button--ghost"
                      disabled={busy}
                      onClick={() =>
                        void run(() =>
                          api.setRole(roomId, member.user_id, member.role === "admin" ? "member" : "admin"),
                        )
                      }
                      aria-label={`${member.role === "admin" ? "Remove admin" : "Make admin"}: ${member.username}`}
                    >
                      {member.role === "admin" ? "Remove admin" : "Make admin"}
                    </button>
                  )}
                  <button
                    type="button"
                    className="button button--small button--danger"
                    disabled={busy}
                    onClick={() => {
                      if (window.confirm(`Remove ${member.username} from this room?`)) {
                        void run(() => api.removeMember(roomId, member.user_id));
                      }
                    }}
                    aria-label={`Remove ${member.username}`}
                  >
                    Remove
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
      {!isDm && myRole !== null && myRole !== "owner" && (
        <footer className="members__footer">
          <button
            type="button"
            className="button button--small button--danger"
            disabled={busy}
            onClick={() => {
              if (!window.confirm("Leave this room?")) return;
              void run(async () => {
                await api.leave(roomId);
                navigate("/");
              });
            }}
          >
            Leave room
          </button>
        </footer>
      )}
    </>
  );
  return (
    <Frame overlay={overlay} onClose={onClose}>
      {body}
    </Frame>
  );
}

/**
 * Beside the room (a wide screen), the panel is a complementary region; over it (narrower), a
 * modal dialog: the room behind is inert, Tab stays inside, Escape closes. Either way it takes
 * the focus when the user opens it, not when it is shown by default, and gives it back to its
 * toggle when it closes.
 */
function Frame({ overlay, onClose, children }: { overlay: boolean; onClose: () => void; children: ReactNode }) {
  const aside = useRef<HTMLElement>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  useFocusReturn(toggleButton);

  useEffect(() => {
    const opened = document.activeElement === toggleButton();
    if (overlay) {
      const d = dialog.current;
      if (d && !d.open) d.showModal(); // focuses its first control, the close button
    } else if (opened) {
      aside.current?.querySelector<HTMLElement>(".members__close")?.focus();
    }
  }, [overlay]);

  if (overlay) {
    return (
      <dialog
        ref={dialog}
        className="members members--overlay"
        id={PANEL_ID}
        aria-labelledby="members-title"
        onKeyDown={(e) => keepTabInside(e, e.currentTarget)}
        onCancel={(e) => {
          e.preventDefault(); // React takes it out of the page
          onClose();
        }}
        onClick={(e) => e.target === e.currentTarget && onClose()} // the backdrop
      >
        {children}
      </dialog>
    );
  }
  return (
    <aside
      ref={aside}
      className="members"
      aria-labelledby="members-title"
      id={PANEL_ID}
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      {children}
    </aside>
  );
}
