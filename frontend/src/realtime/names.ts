// How a room is named in the UI: a room by its name, a direct message after the other person
// (their display name), since the server names a DM room after both usernames.
import type { RoomSummary, UserInfo } from "./protocol";

type Named = Pick<RoomSummary, "id" | "name" | "kind">;

/** The DM's other person's username; a DM with oneself is one's own. */
export function dmPeerUsername(room: Named, me: Pick<UserInfo, "username">, peer: UserInfo | undefined): string {
  if (peer !== undefined) return peer.username;
  // Until the members are loaded: the server's name is the two usernames, "ann, bob".
  const others = room.name.split(", ").filter((name) => name.toLowerCase() !== me.username.toLowerCase());
  return others[0] ?? me.username;
}

export function dmPeerName(room: Named, me: Pick<UserInfo, "username">, peer: UserInfo | undefined): string {
  return peer?.display_name || dmPeerUsername(room, me, peer);
}

export function roomDisplayName(
  room: Named,
  me: Pick<UserInfo, "username">,
  peers: Readonly<Record<string, UserInfo>>,
): string {
  return room.kind === "dm" ? dmPeerName(room, me, peers[room.id]) : room.name;
}

/** What a room's avatar is drawn from: for a DM the person's username, as member lists draw it. */
export function roomAvatarName(
  room: Named,
  me: Pick<UserInfo, "username">,
  peers: Readonly<Record<string, UserInfo>>,
): string {
  return room.kind === "dm" ? dmPeerUsername(room, me, peers[room.id]) : room.name;
}
