// The wire format of SPEC §4 and §4b (the user connection): typed frames, decoding and
// encoding. No I/O here.

export interface Message {
  id: string;
  room_id: string;
  /** The position of the message's creation in the room's event log (SPEC §4a). */
  seq: number;
  sender_id: string;
  sender_username: string;
  /** "" once deleted. */
  content: string;
  client_id: string | null;
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  reply_to: ReplyRef | null;
  /** In the order each emoji was first added. */
  reactions: Reaction[];
}

/** The message replied to, as the reply carries it: content cut to 200 characters, "" once deleted. */
export interface ReplyRef {
  id: string;
  seq: number;
  sender_username: string;
  content: string;
}

export interface Reaction {
  emoji: string;
  count: number;
  user_ids: string[];
}

export type MessageChange = "edited" | "deleted" | "reaction_added" | "reaction_removed";

export interface MessageUpdated {
  /** The event's seq; null for a no-op reaction answered to the actor alone. */
  seq: number | null;
  change: MessageChange;
  actor: UserRef;
  emoji?: string;
  /** Only on the actor's own connection. */
  client_id?: string | null;
  message: Message;
}

export type MessageAction = "send" | "edit" | "delete" | "react";

/** One entry of `GET /api/rooms/{id}/events`: the log as the live frames carry it. */
export type LogEvent =
  | { seq: number; type: "new_message"; data: { message: Message } }
  | { seq: number; type: "message_updated"; data: MessageUpdated };

export interface EventPage {
  events: LogEvent[];
  has_more: boolean;
  last_seq: number;
}

export interface UserRef {
  user_id: string;
  username: string;
}

export interface RateLimitInfo {
  messages_sent: number;
  max_messages: number;
  time_until_reset: number;
}

export interface ConnectedData {
  room_id: string;
  user: { id: string; username: string };
  online_users: UserRef[];
  recent_messages: Message[];
  last_seq: number;
  /** With since_seq: the newest state of every older message changed after it. */
  changes?: MessageUpdated[];
  recovered?: boolean;
}

/** A room as `GET /api/rooms` and `ready` list it: with the caller's read state and the newest message. */
export interface RoomSummary {
  id: string;
  name: string;
  description: string;
  is_private: boolean;
  kind: "room" | "dm";
  created_by: string;
  created_at: string;
  role: string;
  last_seq: number;
  read_seq: number;
  unread_count: number;
  mention_count: number;
  last_message: Message | null;
}

/** A room's settings, as `GET /api/rooms/{id}`, `PATCH` and `room_updated` carry them. */
export type RoomInfo = Pick<RoomSummary, "id" | "name" | "description" | "is_private" | "kind" | "created_by" | "created_at">;

export interface UserInfo {
  id: string;
  username: string;
  display_name: string;
  created_at: string;
}

export interface RoomActivity {
  room_id: string;
  last_seq: number;
  unread_count: number;
  mention_count: number;
  last_message: Message | null;
}

export interface ReadMarker {
  room_id: string;
  read_seq: number;
  unread_count: number;
  mention_count: number;
}

export type RemovalReason = "left" | "removed" | "deleted";

export interface MemberChanged {
  room_id: string;
  user_id: string;
  username: string;
  change: "added" | "removed" | "role";
  role: string | null;
}

/** What the server says about one subscribed room: every frame of SPEC §4, with `room_id`. */
export type RoomServerFrame = { data: { room_id: string } } & (
  | { type: "new_message"; data: { message: Message } }
  | { type: "message_sent"; data: { message: Message; client_id: string | null } }
  | { type: "message_updated"; data: MessageUpdated }
  | {
      type: "message_error";
      data: { error: string; client_id: string | null; retryable: boolean; action?: MessageAction };
    }
  | {
      type: "rate_limit_exceeded";
      data: { error: string; client_id: string | null; rate_limit_info: RateLimitInfo };
    }
  | { type: "user_joined" | "user_left" | "user_typing" | "user_stopped_typing"; data: UserRef }
  | { type: "member_changed"; data: MemberChanged }
  | { type: "user_updated"; data: { user: UserInfo } }
  | { type: "room_updated"; data: { room: RoomInfo } }
  | { type: "error"; data: { error: string; detail?: string } }
);

/** Frames about the connection and the user's rooms as a whole (SPEC §4b). */
export type UserServerFrame =
  | { type: "ready"; data: { user: UserInfo; rooms: RoomSummary[] } }
  | { type: "subscribed"; data: ConnectedData }
  | { type: "subscribe_error"; data: { room_id: string; error: string } }
  | { type: "unsubscribed"; data: { room_id: string } }
  | { type: "room_activity"; data: RoomActivity }
  | { type: "read_marker"; data: ReadMarker }
  | { type: "room_added"; data: { room: RoomSummary } }
  | { type: "room_removed"; data: { room_id: string; reason: RemovalReason } }
  | { type: "pong"; data: { timestamp?: unknown } }
  | { type: "error"; data: { error: string; detail?: string } };

export type ServerFrame = RoomServerFrame | UserServerFrame;

/** What a room's client writes; the connection adds the room's `room_id` (SPEC §4b). */
export type RoomClientFrame =
  | { type: "send_message"; data: { content: string; client_id: string; reply_to?: string } }
  | { type: "edit_message"; data: { message_id: string; content: string; client_id: string } }
  | { type: "delete_message"; data: { message_id: string; client_id: string } }
  | { type: "add_reaction" | "remove_reaction"; data: { message_id: string; emoji: string; client_id: string } }
  | { type: "typing_start" | "typing_stop"; data: Record<never, never> };

type WithRoomId<F> = F extends { type: infer T; data: infer D } ? { type: T; data: D & { room_id: string } } : never;

export type ClientFrame =
  | WithRoomId<RoomClientFrame>
  | { type: "subscribe"; data: { room_id: string; since_seq?: number } }
  | { type: "unsubscribe"; data: { room_id: string } }
  | { type: "mark_read"; data: { room_id: string; seq: number } }
  | { type: "ping"; data: Record<string, never> }
  | { type: "auth"; data: { token: string } };

export function withRoomId(frame: RoomClientFrame, roomId: string): ClientFrame {
  return { type: frame.type, data: { ...frame.data, room_id: roomId } } as WithRoomId<RoomClientFrame>;
}

export const MAX_MESSAGE_LENGTH = 4000;
export const TYPING_TIMEOUT_MS = 5000;

export const Close = {
  normal: 1000,
  goingAway: 1001,
  abnormal: 1006,
  policy: 1008,
  tooBig: 1009,
  tryAgainLater: 1013,
} as const;

/** Code points, as the server counts MAX_MESSAGE_LENGTH (not UTF-16 units). */
export function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export const REPLY_SNIPPET_LENGTH = 200;

/** A reply's quote of its parent, as the server cuts it: 200 characters, "" once deleted. */
export function replySnippet(parent: Pick<Message, "content" | "deleted">): string {
  if (parent.deleted) return "";
  return charCount(parent.content) <= REPLY_SNIPPET_LENGTH
    ? parent.content
    : Array.from(parent.content).slice(0, REPLY_SNIPPET_LENGTH).join("");
}

/** What the server would refuse anyway: blank, or longer than MAX_MESSAGE_LENGTH. */
export function isSendable(content: string): boolean {
  return content.trim() !== "" && charCount(content) <= MAX_MESSAGE_LENGTH;
}

const ROOM_TYPES = new Set<string>([
  "new_message",
  "message_sent",
  "message_updated",
  "message_error",
  "rate_limit_exceeded",
  "user_joined",
  "user_left",
  "user_typing",
  "user_stopped_typing",
  "member_changed",
  "user_updated",
  "room_updated",
  "error",
]);

const USER_TYPES = new Set<string>([
  "ready",
  "subscribed",
  "subscribe_error",
  "unsubscribed",
  "room_activity",
  "read_marker",
  "room_added",
  "room_removed",
  "pong",
  "error",
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A server frame, or null when the text is not one we understand (ignored, never thrown). */
export function decodeServerFrame(text: string): ServerFrame | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(parsed) || typeof parsed.type !== "string" || !isObject(parsed.data)) return null;
  if (!ROOM_TYPES.has(parsed.type) && !USER_TYPES.has(parsed.type)) return null;
  return parsed as unknown as ServerFrame;
}

/** A frame about one subscribed room: a room frame of SPEC §4 with the `room_id` §4b adds. */
export function isRoomFrame(frame: ServerFrame): frame is RoomServerFrame {
  return ROOM_TYPES.has(frame.type) && typeof (frame.data as { room_id?: unknown }).room_id === "string";
}

export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(frame);
}

/** A UUID v4 for `client_id`; `crypto.randomUUID` exists only in secure contexts (https, localhost). */
export function newClientId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
