// The REST API of SPEC §3, same origin. A 401 on an authenticated call renews the access token
// once and tries again; a second 401 means the session is over.
import type { EventPage, Message, RateLimitInfo } from "./protocol";
import type { Room, RoomSummary, User } from "./store";

export interface Member {
  user_id: string;
  username: string;
  display_name: string;
  role: "owner" | "admin" | "member" | string;
  online: boolean;
}

/** What `PATCH /api/rooms/{id}` changes; an absent field stays as it is. */
export type RoomChanges = Partial<Pick<Room, "name" | "description" | "is_private">>;

export interface MessagePage {
  messages: Message[];
  has_more: boolean;
}

/** `GET /api/search`: newest first; `next_cursor` asks for the page after, null at the end. */
export interface SearchPage {
  results: Message[];
  next_cursor: string | null;
}

export interface SearchQuery {
  q: string;
  /** One room only; null: every room the caller is in. */
  roomId: string | null;
  cursor: string | null;
  limit: number;
}

/** A notification of SPEC §3: one per user, room and type, with a count. */
export interface Notification {
  id: string;
  type: "message" | "mention";
  room_id: string;
  message_id: string;
  count: number;
  is_read: boolean;
  created_at: string;
  updated_at: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  refresh_token: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly rateLimit: RateLimitInfo | null = null,
    /** Seconds, from a 429's `Retry-After`. */
    readonly retryAfter: number | null = null,
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

interface RequestOptions {
  /** Sent with the session's bearer token, renewed once on a 401 (the default). */
  auth?: boolean;
  /** This token instead of the session's, not renewed. */
  token?: string;
  signal?: AbortSignal;
}

export interface ApiOptions {
  getToken: () => string | null;
  /** The session is over (a 401 even with a renewed token, or no renewal possible). */
  onUnauthorized: () => void;
  /** A new access token after a 401: null when the session ended, rejects when unreachable. */
  renewToken?: () => Promise<string | null>;
  fetch?: FetchLike;
  base?: string;
}

export class Api {
  private readonly getToken: () => string | null;
  private readonly onUnauthorized: () => void;
  private readonly renewToken: () => Promise<string | null>;
  private readonly fetchImpl: FetchLike;
  private readonly base: string;

  constructor(options: ApiOptions) {
    this.getToken = options.getToken;
    this.onUnauthorized = options.onUnauthorized;
    this.renewToken = options.renewToken ?? (async () => null);
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.base = options.base ?? "";
  }

  register(username: string, password: string, display_name?: string): Promise<User> {
    const body: Record<string, string> = { username, password };
    if (display_name) body.display_name = display_name;
    return this.request("POST", "/api/auth/register", body, { auth: false });
  }

  login(username: string, password: string): Promise<TokenResponse> {
    return this.request("POST", "/api/auth/login", { username, password }, { auth: false });
  }

  refresh(refreshToken: string): Promise<TokenResponse> {
    return this.request("POST", "/api/auth/refresh", { refresh_token: refreshToken }, { auth: false });
  }

  logout(refreshToken: string): Promise<void> {
    return this.request("POST", "/api/auth/logout", { refresh_token: refreshToken }, { auth: false });
  }

  me(token?: string): Promise<User> {
    return this.request("GET", "/api/users/me", undefined, token === undefined ? {} : { token });
  }

  /** A new display name: every room of the user sees it live (`user_updated`). */
  updateMe(display_name: string): Promise<User> {
    return this.request("PATCH", "/api/users/me", { display_name });
  }

  /** 403 on a wrong current password; every other session of the user is logged out. */
  changePassword(current_password: string, new_password: string): Promise<void> {
    return this.request("POST", "/api/users/me/password", { current_password, new_password });
  }

  notifications(): Promise<Notification[]> {
    return this.request("GET", "/api/notifications");
  }

  markNotificationRead(id: string): Promise<void> {
    return this.request("POST", `/api/notifications/${encodeURIComponent(id)}/read`);
  }

  markAllNotificationsRead(): Promise<void> {
    return this.request("POST", "/api/notifications/read-all");
  }

  rooms(): Promise<RoomSummary[]> {
    return this.request("GET", "/api/rooms");
  }

  publicRooms(q = ""): Promise<Room[]> {
    return this.request("GET", `/api/rooms/public${q ? `?q=${encodeURIComponent(q)}` : ""}`);
  }

  /** The room, with how many participate (shown by a public room's preview before joining). */
  room(roomId: string): Promise<Room & { member_count: number }> {
    return this.request("GET", `/api/rooms/${encodeURIComponent(roomId)}`);
  }

  createRoom(name: string, description: string, is_private: boolean, members: string[]): Promise<Room> {
    return this.request("POST", "/api/rooms", { name, description, is_private, members });
  }

  /** Owner or admin: the fields given change, the others stay; every member sees it live. */
  updateRoom(roomId: string, changes: RoomChanges): Promise<Room> {
    return this.request("PATCH", `/api/rooms/${encodeURIComponent(roomId)}`, changes);
  }

  /** Owner only: the room and its whole history are gone, for every member. */
  deleteRoom(roomId: string): Promise<void> {
    return this.request("DELETE", `/api/rooms/${encodeURIComponent(roomId)}`);
  }

  join(roomId: string): Promise<Room> {
    return this.request("POST", `/api/rooms/${encodeURIComponent(roomId)}/join`);
  }

  leave(roomId: string): Promise<void> {
    return this.request("POST", `/api/rooms/${encodeURIComponent(roomId)}/leave`);
  }

  members(roomId: string): Promise<Member[]> {
    return this.request("GET", `/api/rooms/${encodeURIComponent(roomId)}/members`);
  }

  addMember(roomId: string, username: string): Promise<Member> {
    return this.request("POST", `/api/rooms/${encodeURIComponent(roomId)}/members`, { username });
  }

  setRole(roomId: string, userId: string, role: "admin" | "member"): Promise<void> {
    const path = `/api/rooms/${encodeURIComponent(roomId)}/members/${encodeURIComponent(userId)}`;
    return this.request("PATCH", path, { role });
  }

  removeMember(roomId: string, userId: string): Promise<void> {
    const path = `/api/rooms/${encodeURIComponent(roomId)}/members/${encodeURIComponent(userId)}`;
    return this.request("DELETE", path);
  }

  messages(roomId: string, page: { before?: number; after?: number; limit?: number }): Promise<MessagePage> {
    const params = new URLSearchParams({ limit: String(page.limit ?? 50) });
    if (page.before !== undefined) params.set("before_seq", String(page.before));
    if (page.after !== undefined) params.set("after_seq", String(page.after));
    return this.request("GET", `/api/rooms/${encodeURIComponent(roomId)}/messages?${params}`);
  }

  /** The room's event log after `afterSeq` (SPEC §4a), for a client too far behind for `recovered: true`. */
  events(roomId: string, afterSeq: number, limit = 200): Promise<EventPage> {
    const params = new URLSearchParams({ after_seq: String(afterSeq), limit: String(limit) });
    return this.request("GET", `/api/rooms/${encodeURIComponent(roomId)}/events?${params}`);
  }

  markRead(roomId: string, seq: number): Promise<{ read_seq: number; unread_count: number; mention_count: number }> {
    return this.request("POST", `/api/rooms/${encodeURIComponent(roomId)}/read`, { seq });
  }

  /** People whose username or display name starts with `q`, for starting a DM. */
  users(q: string, limit = 20): Promise<User[]> {
    const params = new URLSearchParams({ q, limit: String(limit) });
    return this.request("GET", `/api/users?${params}`);
  }

  /** Messages of the caller's rooms that contain every term of `q` (SPEC §3), newest first. */
  search(query: SearchQuery, signal?: AbortSignal): Promise<SearchPage> {
    const params = new URLSearchParams({ q: query.q, limit: String(query.limit) });
    if (query.roomId !== null) params.set("room_id", query.roomId);
    if (query.cursor !== null) params.set("cursor", query.cursor);
    return this.request("GET", `/api/search?${params}`, undefined, signal ? { signal } : {});
  }

  /** The direct-message room with this user: the same room whichever of the two asks. */
  openDm(username: string): Promise<Room> {
    return this.request("POST", "/api/dms", { username });
  }

  private async request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const { auth = true, token: tokenOverride, signal } = options;
    const token = tokenOverride ?? (auth ? this.getToken() : null);
    try {
      return await this.send<T>(method, path, body, token, signal);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401 || !auth || tokenOverride !== undefined) throw err;
      let renewed: string | null;
      try {
        renewed = await this.renewToken();
      } catch {
        throw err; // the server is unreachable: the session may well be fine
      }
      if (renewed === null) {
        this.onUnauthorized();
        throw err;
      }
      try {
        return await this.send<T>(method, path, body, renewed, signal);
      } catch (again) {
        if (again instanceof ApiError && again.status === 401) this.onUnauthorized();
        throw again;
      }
    }
  }

  private async send<T>(
    method: string,
    path: string,
    body: unknown,
    token: string | null,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await this.fetchImpl(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err; // given up on purpose: not a network failure
      throw new ApiError(0, "Cannot reach the server. Check your connection and try again.");
    }
    if (response.status === 204) return undefined as T;
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const record = (payload ?? {}) as { detail?: unknown; rate_limit_info?: RateLimitInfo };
      const detail = errorDetail(record.detail) ?? `Request failed (${response.status})`;
      const retryAfter = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
      throw new ApiError(
        response.status,
        detail,
        record.rate_limit_info ?? null,
        Number.isFinite(retryAfter) ? retryAfter : null,
      );
    }
    return payload as T;
  }
}

/** The server's `detail`: a sentence, or FastAPI's list of validation errors (the first one's `msg`). */
function errorDetail(detail: unknown): string | null {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    const first: unknown = detail[0];
    if (typeof first === "object" && first !== null && typeof (first as { msg?: unknown }).msg === "string") {
      return (first as { msg: string }).msg;
    }
  }
  return null;
}
