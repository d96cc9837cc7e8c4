// The sidebar's room list as the user connection keeps it live (SPEC §4b): each room's unread
// and mention counts and newest message from `room_activity` and `read_marker`, its settings
// from `room_updated`, our role from `member_changed`, and the total unread shown in the tab
// title. Pure functions on room summaries.
import type { MemberChanged, ReadMarker, RoomActivity, RoomInfo, RoomSummary } from "./protocol";

/**
 * A room's new activity. The counts are the server's; the newest message is taken unless the
 * room's own subscription already showed a newer event (activity is coalesced to one a second,
 * so it may trail the live stream).
 */
export function withActivity(room: RoomSummary, activity: RoomActivity): RoomSummary {
  const newer = activity.last_seq >= room.last_seq;
  return {
    ...room,
    last_seq: Math.max(room.last_seq, activity.last_seq),
    last_message: newer ? activity.last_message : room.last_message,
    unread_count: activity.unread_count,
    mention_count: activity.mention_count,
  };
}

/** One of the user's devices read the room: the read mark never moves back. */
export function withReadMarker(room: RoomSummary, marker: ReadMarker): RoomSummary {
  return {
    ...room,
    read_seq: Math.max(room.read_seq, marker.read_seq),
    unread_count: marker.unread_count,
    mention_count: marker.mention_count,
  };
}

/**
 * The room's new settings (`room_updated`, or the answer to our own `PATCH`): name,
 * description and visibility; the same object when nothing changed.
 */
export function withSettings<T extends RoomInfo>(room: T, settings: RoomInfo): T {
  const { name, description, is_private } = settings;
  if (room.name === name && room.description === description && room.is_private === is_private) return room;
  return { ...room, name, description, is_private };
}

/** Our own role changed (`member_changed` about us): who may change the room's settings follows. */
export function withMyRole(room: RoomSummary, change: MemberChanged, myId: string): RoomSummary {
  if (change.user_id !== myId || change.change !== "role" || change.role === null || change.role === room.role) return room;
  return { ...room, role: change.role };
}

/** Read up to `seq` on this device, before the server's `read_marker` confirms it. */
export function readUpTo(room: RoomSummary, seq: number): RoomSummary {
  if (room.read_seq >= seq && room.unread_count === 0 && room.mention_count === 0) return room;
  return { ...room, read_seq: Math.max(room.read_seq, seq), unread_count: 0, mention_count: 0 };
}

/**
 * What the user has not seen: every room's unread count, except the room on screen while the
 * tab is visible (it is being read; its `read_marker` is on the way).
 */
export function totalUnread(rooms: readonly RoomSummary[], openRoomId: string | null, visible: boolean): number {
  let total = 0;
  for (const room of rooms) if (!(visible && room.id === openRoomId)) total += room.unread_count;
  return total;
}

export function titleWithUnread(title: string, unread: number): string {
  return unread > 0 ? `(${unread}) ${title}` : title;
}

/** Most recent activity first. */
export function byActivity(rooms: readonly RoomSummary[]): RoomSummary[] {
  const at = (room: RoomSummary) => Date.parse(room.last_message?.created_at ?? room.created_at);
  return [...rooms].sort((a, b) => at(b) - at(a));
}
