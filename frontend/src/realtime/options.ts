// What the user connection is given: its collaborators (all injectable, so tests drive them) and timings.
import { DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff";
import type { Clock } from "./clock";
import type { Member, MessagePage } from "./api";
import type { EventPage, RoomSummary } from "./protocol";
import type { Store } from "./store";

/** The part of the browser's WebSocket this client uses, so tests can hand it a fake. */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** What a room needs over REST: older history, the log after a seq, its members. */
export interface RoomFetchers {
  fetchPage: (roomId: string, page: { before?: number; after?: number; limit?: number }) => Promise<MessagePage>;
  /** `GET …/events?after_seq=`: the room's log after a seq, for a client too far behind (`recovered: false`). */
  fetchEvents: (roomId: string, afterSeq: number) => Promise<EventPage>;
  fetchMembers: (roomId: string) => Promise<Member[]>;
}

export interface UserConnectionOptions extends RoomFetchers {
  store: Store;
  getToken: () => string | null;
  /** `/ws?token=`: the user connection (SPEC §4b). */
  socketUrl: (token: string) => string;
  openSocket: (url: string) => SocketLike;
  onAuthExpired: (reason: string) => void;
  /** A new access token after the server refused ours: null when the session ended, rejects when unreachable. */
  renewToken?: () => Promise<string | null>;
  /** A room's counts or newest message changed (`room_activity`): `before` is its previous listing. */
  onActivity?: (before: RoomSummary | undefined, after: RoomSummary) => void;
  clock?: Clock;
  random?: () => number;
  isOnline?: () => boolean;
  backoff?: BackoffPolicy;
  /** A sent message with no answer within this time is shown as failed (retryable). */
  ackTimeoutMs?: number;
  /** No `ready` within this time after opening counts as a failed attempt. */
  connectTimeoutMs?: number;
  pingIntervalMs?: number;
  /** Silence for pingIntervalMs + this after the last frame means the connection is dead. */
  pongTimeoutMs?: number;
}

export type ResolvedOptions = Required<Omit<UserConnectionOptions, "store">>;

export const DEFAULTS = {
  renewToken: async () => null,
  onActivity: () => undefined,
  random: Math.random,
  isOnline: () => true,
  backoff: DEFAULT_BACKOFF,
  ackTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  pingIntervalMs: 25_000,
  pongTimeoutMs: 10_000,
} satisfies Partial<ResolvedOptions>;
