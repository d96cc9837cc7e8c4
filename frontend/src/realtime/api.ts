// The REST API of SPEC §3, same origin. A 401 on an authenticated call means the session is over.
import type { Message, RateLimitInfo } from "./protocol";
import type { Room, RoomSummary, User } from "./store";

export interface Member {
  user_id: string;
  username: string;
  display_name: string;
  role: "owner" | "admin" | "member" | string;
  online: boolean;
}

export interface MessagePage {
  messages: Message[];
  has_more: boolean;
}

export interface TokenResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly rateLimit: RateLimitInfo | null = null,
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class Api {
  constructor(
    private readonly getToken: () => string | null,
    private readonly onUnauthorized: () => void,
    private readonly fetchImpl: FetchLike = (input, init) => globalThis.fetch(input, init),
    private readonly base = "",
  ) {}

  register(username: string, password: string, display_name?: string): Promise<User> {
    const body: Record<string, string> = { username, password };
    if (display_name) body.display_name = display_name;
    return this.request("POST", "/api/auth/register", body, false);
  }

  login(username: string, password: string): Promise<TokenResponse> {
    return this.request("POST", "/api/auth/login", { username, password }, false);
  }

  me(token?: string): Promise<User> {
    return this.request("GET", "/api/users/me", undefined, true, token);
  }

  rooms(): Promise<RoomSummary[]> {
    return this.request("GET", "/api/rooms");
  }

  publicRooms(q = ""): Promise<Room[]> {
    return this.request("GET", `/api/rooms/public${q ? `?q=${encodeURIComponent(q)}` : ""}`);
  }

  room(roomId: string): Promise<Room> {
    return this.request("GET", `/api/rooms/${encodeURIComponent(roomId)}`);
  }

  createRoom(name: string, description: string, is_private: boolean, members: string[]): Promise<Room> {
    return this.request("POST", "/api/rooms", { name, description, is_private, members });
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

  markRead(roomId: string, seq: number): Promise<{ unread_count: number }> {
    return this.request("POST", `/api/rooms/${encodeURIComponent(roomId)}/read`, { seq });
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    auth = true,
    tokenOverride?: string,
  ): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const token = tokenOverride ?? (auth ? this.getToken() : null);
    if (token) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await this.fetchImpl(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "Cannot reach the server. Check your connection and try again.");
    }
    if (response.status === 204) return undefined as T;
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const record = (payload ?? {}) as { detail?: unknown; rate_limit_info?: RateLimitInfo };
      const detail = typeof record.detail === "string" ? record.detail : `Request failed (${response.status})`;
      if (response.status === 401 && auth && tokenOverride === undefined) this.onUnauthorized();
      throw new ApiError(response.status, detail, record.rate_limit_info ?? null);
    }
    return payload as T;
  }
}
