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
    const api = new Api(() => "tok", () => undefined, fetchImpl);
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
    const api = new Api(() => "tok", () => undefined, fetchImpl);
    await api.messages("r 1", { before: 51, limit: 50 });
    await api.messages("r1", { after: 7, limit: 200 });
    expect(fetchImpl.mock.calls.map((c) => c[0])).toEqual([
      "/api/rooms/r%201/messages?limit=50&before_seq=51",
      "/api/rooms/r1/messages?limit=200&after_seq=7",
    ]);
  });

  it("turns errors into ApiError with the server's detail and rate-limit info", async () => {
    const info = { messages_sent: 10, max_messages: 10, time_until_reset: 12 };
    const api = new Api(
      () => "tok",
      () => undefined,
      async () => reply(429, { detail: "Rate limit exceeded", rate_limit_info: info }),
    );
    const error = await api.markRead("r1", 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, detail: "Rate limit exceeded", rateLimit: info });
  });

  it("a 401 on an authenticated call ends the session, a failed login does not", async () => {
    const onUnauthorized = vi.fn();
    const api = new Api(() => "tok", onUnauthorized, async () => reply(401, { detail: "token expired" }));
    await expect(api.rooms()).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledOnce();
    await expect(api.login("alice", "wrong")).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it("reports an unreachable server as status 0", async () => {
    const api = new Api(() => null, () => undefined, async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(api.publicRooms("a b")).rejects.toMatchObject({ status: 0 });
  });
});
