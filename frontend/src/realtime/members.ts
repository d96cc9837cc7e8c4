// A room's member list kept live (SPEC §4b): `member_changed` adds, removes or changes the
// role of a member, `user_updated` renames one. Pure functions; the list is the REST one.
import type { Member } from "./api";
import type { MemberChanged, UserInfo } from "./protocol";

export function withMemberChange(members: Member[], change: MemberChanged): Member[] {
  const rest = members.filter((m) => m.user_id !== change.user_id);
  const known = members.find((m) => m.user_id === change.user_id);
  switch (change.change) {
    case "removed":
      return rest.length === members.length ? members : rest;
    case "added":
      if (known !== undefined) return members;
      return [
        ...members,
        {
          user_id: change.user_id,
          username: change.username,
          display_name: change.username,
          role: change.role ?? "member",
          online: false,
        },
      ];
    case "role":
      if (known === undefined || known.role === change.role) return members;
      return members.map((m) => (m.user_id === change.user_id ? { ...m, role: change.role ?? m.role } : m));
  }
}

export function withProfile(members: Member[], user: UserInfo): Member[] {
  const stale = (m: Member) =>
    m.user_id === user.id && (m.display_name !== user.display_name || m.username !== user.username);
  if (!members.some(stale)) return members;
  return members.map((m) => (stale(m) ? { ...m, username: user.username, display_name: user.display_name } : m));
}
