import { useState, type FormEvent } from "react";
import { ApiError, type Member } from "../realtime/api";
import { navigate } from "../router";
import { api } from "../services";
import { Avatar } from "./Avatar";
import { Icon } from "./Icon";

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

  return (
    <aside
      className="members"
      aria-labelledby="members-title"
      id="members-panel"
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      <header className="members__header">
        <h2 id="members-title">
          Members <span className="muted">{onlineCount} online · {members.length} total</span>
        </h2>
        <button type="button" className="button button--ghost button--small" onClick={onClose} aria-label="Close members">
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
              <Avatar name={member.username} online={online} size={32} />
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
                      aria-label={member.role === "admin" ? `Remove admin role from ${member.username}` : `Make ${member.username} an admin`}
                    >
                      {member.role === "admin" ? "Unmake admin" : "Make admin"}
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
    </aside>
  );
}
