// What a RoomClient is given: its collaborators (all injectable, so tests drive them) and timings.
import { DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff";
import type { Clock } from "./clock";
import type { MessagePage } from "./api";
import type { EventPage } from "./protocol";
import type { Store } from "./store";

/** The part of the browser's WebSocket this client uses, so tests can hand it a fake. */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export interface RoomClientOptions {
  store: Store;
  roomId: string;
  getToken: () => string | null;
  socketUrl: (roomId: string, token: string, sinceSeq: number | null) => string;
  openSocket: (url: string) => SocketLike;
  fetchPage: (roomId: string, page: { before?: number; after?: number; limit?: number }) => Promise<MessagePage>;
  /** `GET …/events?after_seq=`: the room's log after a seq, for a client too far behind (`recovered: false`). */
  fetchEvents: (roomId: string, afterSeq: number) => Promise<EventPage>;
  onAuthExpired: (reason: string) => void;
  /** A new access token after the server refused ours: null when the session ended, rejects when unreachable. */
  renewToken?: () => Promise<string | null>;
  clock?: Clock;
  random?: () => number;
  isOnline?: () => boolean;
  backoff?: BackoffPolicy;
  /** A sent message with no answer within this time is shown as failed (retryable). */
  ackTimeoutMs?: number;
  /** No `connected` within this time after opening counts as a failed attempt. */
  connectTimeoutMs?: number;
  pingIntervalMs?: number;
  /** Silence for pingIntervalMs + this after the last frame means the connection is dead. */
  pongTimeoutMs?: number;
}

export type ResolvedOptions = Required<Omit<RoomClientOptions, "store" | "roomId">>;

export const DEFAULTS = {
  renewToken: async () => null,
  random: Math.random,
  isOnline: () => true,
  backoff: DEFAULT_BACKOFF,
  ackTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  pingIntervalMs: 25_000,
  pongTimeoutMs: 10_000,
} satisfies Partial<ResolvedOptions>;
