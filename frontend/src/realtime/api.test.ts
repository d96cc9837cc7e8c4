import { describe, expect, it, vi } from "vitest";
import { Api, ApiError } from "./api";

function reply(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

describe("Api", () => {
  it("sends the bearer token and JSON, and returns the parsed body", async () => {
    const fetchImpl = vi.fn(async (_url: string, _init?: RequestInit) => reply(201, { id: "r1", name: "x" }));
    const api = new Api({ getToken: () => "tok", onUnauthorized: () => undefined, fetch: fetchImpl });
    const room = await api.createRoom("x", "", true, ["bob"]);
    expect(room).toEqual({ id: "r1", name: "x" });
    const [url, init] = fetchImpl.mock.calls[0] ?? [];
    expect(url).toBe("/api/rooms");
    expect(init?.method).toBe("POST");
    expect((init?.headers as Record<string, string>).Authorization).toBe("Bearer tok");
    expect(JSON.parse(String(init?.body))).toEqual({ name: "x", description: "", is_private: true, members: ["bob"] });
  });

  it("builds history queries with before_seq / after_seq", async () => {
    const fetchImpl = vi.fn(async (_url: string, _init?: RequestInit) => reply(200, { messages: [], has_more: false }));
    const api = new Api({ getToken: () => "tok", onUnauthorized: () => undefined, fetch: fetchImpl });
    await api.messages("r 1", { before: 51, limit: 50 });
    await api.messages("r1", { after: 7, limit: 200 });
    expect(fetchImpl.mock.calls.map((c) => c[0])).toEqual([
      "/api/rooms/r%201/messages?limit=50&before_seq=51",
      "/api/rooms/r1/messages?limit=200&after_seq=7",
    ]);
  });

  it("turns errors into ApiError with the server's detail and rate-limit info", async () => {
    const info = { messages_sent: 10, max_messages: 10, time_until_reset: 12 };
    const api = new Api({
      getToken: () => "tok",
      onUnauthorized: () => undefined,
      fetch: async () => reply(429, { detail: "Rate limit exceeded", rate_limit_info: info }),
    });
    const error = await api.markRead("r1", 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, detail: "Rate limit exceeded", rateLimit: info });
  });

  it("a 401 on an authenticated call ends the session, a failed login does not", async () => {
    const onUnauthorized = vi.fn();
    const api = new Api({
      getToken: () => "tok",
      onUnauthorized,
      fetch: async () => reply(401, { detail: "token expired" }),
    });
    await expect(api.rooms()).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledOnce();
    await expect(api.login("alice", "wrong")).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it("renews the access token once on a 401 and repeats the request with it", async () => {
    let token = "old";
    const seen: (string | undefined)[] = [];
    const fetchImpl = vi.fn(async (_url: string, init?: RequestInit) => {
      const auth = (init?.headers as Record<string, string>).Authorization;
      seen.push(auth);
      return auth === "Bearer new" ? reply(200, []) : reply(401, { detail: "token expired" });
    });
    const onUnauthorized = vi.fn();
    const renewToken = vi.fn(async () => {
      token = "new";
      return token;
    });
    const api = new Api({ getToken: () => token, onUnauthorized, renewToken, fetch: fetchImpl });
    expect(await api.rooms()).toEqual([]);
    expect(seen).toEqual(["Bearer old", "Bearer new"]);
    expect(renewToken).toHaveBeenCalledOnce();
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("ends the session when renewal says so or the renewed token is refused too", async () => {
    const refused = async () => reply(401, { detail: "session ended" });
    const onUnauthorized = vi.fn();
    const ended = new Api({ getToken: () => "t", onUnauthorized, renewToken: async () => null, fetch: refused });
    await expect(ended.rooms()).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledOnce();
    const again = new Api({ getToken: () => "t", onUnauthorized, renewToken: async () => "t2", fetch: refused });
    await expect(again.rooms()).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(2);
  });

  it("keeps the session when renewal cannot reach the server", async () => {
    const onUnauthorized = vi.fn();
    const api = new Api({
      getToken: () => "t",
      onUnauthorized,
      renewToken: async () => {
        throw new ApiError(0, "offline");
      },
      fetch: async () => reply(401, { detail: "token expired" }),
    });
    await expect(api.rooms()).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("refreshes and logs out with the refresh token in the body, without a bearer token", async () => {
    const fetchImpl = vi.fn(async (url: string, _init?: RequestInit) =>
      url.endsWith("/logout") ? new Response(null, { status: 204 }) : reply(200, { access_token: "a" }),
    );
    const renewToken = vi.fn(async () => "never");
    const api = new Api({ getToken: () => "bearer", onUnauthorized: () => undefined, renewToken, fetch: fetchImpl });
    await api.refresh("r-1");
    await api.logout("r-2");
    for (const [index, [url, init]] of fetchImpl.mock.calls.entries()) {
      expect(url).toBe(["/api/auth/refresh", "/api/auth/logout"][index]);
      expect((init?.headers as Record<string, string>).Authorization).toBeUndefined();
      expect(JSON.parse(String(init?.body))).toEqual({ refresh_token: `r-${index + 1}` });
    }
    const failing = new Api({
      getToken: () => "t",
      onUnauthorized: () => undefined,
      renewToken,
      fetch: async () => reply(401, {}),
    });
    await expect(failing.refresh("r")).rejects.toMatchObject({ status: 401 });
    expect(renewToken).not.toHaveBeenCalled(); // a refused refresh is not renewed with itself
  });

  it("searches with q, the room, the page size and the cursor; a 429 carries Retry-After", async () => {
    const fetchImpl = vi.fn(async (_url: string, _init?: RequestInit) => reply(200, { results: [], next_cursor: null }));
    const api = new Api({ getToken: () => "tok", onUnauthorized: () => undefined, fetch: fetchImpl });
    await api.search({ q: '"東京 タワー" a&b', roomId: null, cursor: null, limit: 20 });
    await api.search({ q: "tower", roomId: "r 1", cursor: "c/2", limit: 20 });
    expect(fetchImpl.mock.calls.map((c) => c[0])).toEqual([
      "/api/search?q=%22%E6%9D%B1%E4%BA%AC+%E3%82%BF%E3%83%AF%E3%83%BC%22+a%26b&limit=20",
      "/api/search?q=tower&limit=20&room_id=r+1&cursor=c%2F2",
    ]);
    const limited = new Api({
      getToken: () => "tok",
      onUnauthorized: () => undefined,
      fetch: async () =>
        new Response(JSON.stringify({ detail: "Too many searches" }), { status: 429, headers: { "Retry-After": "7" } }),
    });
    const error = await limited.search({ q: "tower", roomId: null, cursor: null, limit: 20 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, detail: "Too many searches", retryAfter: 7 });
  });

  it("says what FastAPI's validation errors say, and lets an aborted request be an abort", async () => {
    const invalid = new Api({
      getToken: () => "tok",
      onUnauthorized: () => undefined,
      fetch: async () => reply(422, { detail: [{ loc: ["query", "q"], msg: "String should have at most 200 characters" }] }),
    });
    await expect(invalid.search({ q: "x", roomId: null, cursor: null, limit: 20 })).rejects.toMatchObject({
      status: 422,
      detail: "String should have at most 200 characters",
    });
    const controller = new AbortController();
    const aborted = new Api({
      getToken: () => "tok",
      onUnauthorized: () => undefined,
      fetch: (_url, init) =>
        new Promise((_resolve, reject) =>
          init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))),
        ),
    });
    const pending = aborted.search({ q: "tower", roomId: null, cursor: null, limit: 20 }, controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("reports an unreachable server as status 0", async () => {
    const api = new Api({
      getToken: () => null,
      onUnauthorized: () => undefined,
      fetch: async () => {
        throw new TypeError("Failed to fetch");
      },
    });
    await expect(api.publicRooms("a b")).rejects.toMatchObject({ status: 0 });
  });
});
