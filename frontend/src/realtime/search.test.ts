import { describe, expect, it, vi } from "vitest";
import { ApiError, type SearchPage, type SearchQuery } from "./api";
import { flush } from "./harness";
import { groupByRoom, MessageSearch, SEARCH_DELAY_MS } from "./search";
import { Store } from "./store";
import { FakeClock, message } from "./testing";

const SESSION = {
  token: "tok",
  expiresAt: Number.MAX_SAFE_INTEGER,
  renewAt: Number.MAX_SAFE_INTEGER,
  refreshToken: "refresh",
  user: { id: "u-me", username: "me", display_name: "Me", created_at: "" },
};

interface Asked {
  query: SearchQuery;
  signal: AbortSignal;
  answer: (page: SearchPage) => void;
  fail: (err: unknown) => void;
}

function setup() {
  const clock = new FakeClock();
  const store = new Store(null, () => clock.now());
  store.signIn(SESSION);
  const asked: Asked[] = [];
  const fetch = vi.fn(
    (query: SearchQuery, signal: AbortSignal) =>
      new Promise<SearchPage>((answer, fail) => asked.push({ query, signal, answer, fail })),
  );
  const search = new MessageSearch({ store, fetch, clock });
  const state = () => store.getState().search;
  /** Type `text` one character at a time, `gap` ms apart. */
  const type = (text: string, gap = 80) => {
    for (let i = 1; i <= text.length; i++) {
      search.input(text.slice(0, i));
      clock.advance(gap);
    }
  };
  return { clock, store, search, asked, fetch, state, type };
}

const page = (seqs: number[], next: string | null = null, room = "room-1"): SearchPage => ({
  results: seqs.map((seq) => message(seq, "u-bob", { id: `${room}-${seq}`, room_id: room, content: `tower ${seq}` })),
  next_cursor: next,
});

describe("MessageSearch", () => {
  it("asks once the typing pauses, with the whole query", () => {
    const t = setup();
    t.type("tower");
    expect(t.fetch).not.toHaveBeenCalled();
    expect(t.state().status).toBe("searching");
    t.clock.advance(SEARCH_DELAY_MS);
    expect(t.fetch).toHaveBeenCalledOnce();
    expect(t.asked[0]?.query).toEqual({ q: "tower", roomId: null, cursor: null, limit: 20 });
  });

  it("says to type more below 3 characters, and asks nothing", () => {
    const t = setup();
    t.type("to");
    t.clock.advance(1000);
    expect(t.state().status).toBe("short");
    expect(t.fetch).not.toHaveBeenCalled();
    t.search.input("");
    expect(t.state().status).toBe("idle");
    t.search.input("x".repeat(201));
    expect(t.state().status).toBe("long");
  });

  it("aborts the request of an older query and drops its answer, whatever the order they arrive in", async () => {
    const t = setup();
    t.search.input("tower");
    t.clock.advance(SEARCH_DELAY_MS);
    t.search.input("towers");
    t.clock.advance(SEARCH_DELAY_MS);
    expect(t.asked.map((a) => a.query.q)).toEqual(["tower", "towers"]);
    expect(t.asked[0]?.signal.aborted).toBe(true);
    expect(t.asked[1]?.signal.aborted).toBe(false);
    t.asked[1]?.answer(page([9]));
    await flush();
    t.asked[0]?.answer(page([1, 2, 3])); // late, for the older query
    await flush();
    expect(t.state().results.map((m) => m.seq)).toEqual([9]);
    expect(t.state()).toMatchObject({ status: "done", terms: ["towers"] });
  });

  it("the previous results stay on screen while the next query is on its way", async () => {
    const t = setup();
    t.search.input("tower");
    t.clock.advance(SEARCH_DELAY_MS);
    t.asked[0]?.answer(page([1]));
    await flush();
    t.search.input("tower b");
    expect(t.state().status).toBe("searching");
    expect(t.state().results).toHaveLength(1);
    expect(t.state().terms).toEqual(["tower"]); // highlighted as what they answer
  });

  it("does not ask again for the same terms, nor after typing away and back", async () => {
    const t = setup();
    t.search.input("tower");
    t.clock.advance(SEARCH_DELAY_MS);
    t.asked[0]?.answer(page([1]));
    await flush();
    t.search.input("tower ");
    t.search.input("  tower");
    t.clock.advance(SEARCH_DELAY_MS);
    t.search.input("towe");
    t.search.input("tower");
    t.clock.advance(SEARCH_DELAY_MS);
    expect(t.fetch).toHaveBeenCalledOnce();
    expect(t.state().status).toBe("done");
  });

  it("searches one room when scoped, every room again when not", () => {
    const t = setup();
    t.search.input("tower");
    t.search.scope("room-2");
    t.clock.advance(SEARCH_DELAY_MS);
    expect(t.asked.map((a) => a.query.roomId)).toEqual(["room-2"]);
    t.search.scope(null);
    t.clock.advance(SEARCH_DELAY_MS);
    expect(t.asked.map((a) => a.query.roomId)).toEqual(["room-2", null]);
  });

  it("loads more with next_cursor, appending each message once, until the cursor is null", async () => {
    const t = setup();
    t.search.input("tower");
    t.clock.advance(SEARCH_DELAY_MS);
    t.asked[0]?.answer(page([30, 29], "c1"));
    await flush();
    t.search.loadMore();
    t.search.loadMore(); // already loading
    expect(t.asked).toHaveLength(2);
    expect(t.asked[1]?.query.cursor).toBe("c1");
    expect(t.state().loadingMore).toBe(true);
    t.asked[1]?.answer(page([29, 28]));
    await flush();
    expect(t.state().results.map((m) => m.seq)).toEqual([30, 29, 28]);
    expect(t.state()).toMatchObject({ nextCursor: null, loadingMore: false });
    t.search.loadMore();
    expect(t.asked).toHaveLength(2);
  });

  it("shows the server's reason for a 422, and an offline state with a retry", async () => {
    const t = setup();
    t.search.input("abc de");
    t.clock.advance(SEARCH_DELAY_MS);
    t.asked[0]?.fail(new ApiError(422, "At least one term needs 3 characters"));
    await flush();
    expect(t.state()).toMatchObject({
      status: "error",
      error: { kind: "invalid", message: "At least one term needs 3 characters" },
    });
    t.search.input("tower");
    t.clock.advance(SEARCH_DELAY_MS);
    t.asked[1]?.fail(new ApiError(0, "Cannot reach the server."));
    await flush();
    expect(t.state().error?.kind).toBe("offline");
    t.search.retry();
    t.clock.advance(0);
    expect(t.asked).toHaveLength(3);
    t.asked[2]?.answer(page([1]));
    await flush();
    expect(t.state()).toMatchObject({ status: "done", error: null });
  });

  it("says 'searching too fast' on a 429 and tries again after Retry-After", async () => {
    const t = setup();
    t.search.input("tower");
    t.clock.advance(SEARCH_DELAY_MS);
    t.asked[0]?.fail(new ApiError(429, "Too many searches", null, 3));
    await flush();
    expect(t.state().error).toMatchObject({ kind: "rate" });
    expect(t.state().error?.message).toMatch(/searching too fast/i);
    t.clock.advance(2_900);
    expect(t.asked).toHaveLength(1);
    t.clock.advance(100);
    expect(t.asked).toHaveLength(2);
    expect(t.asked[1]?.query.q).toBe("tower");
  });

  it("a failed next page keeps the results, and retry asks for that page again", async () => {
    const t = setup();
    t.search.input("tower");
    t.clock.advance(SEARCH_DELAY_MS);
    t.asked[0]?.answer(page([5], "c1"));
    await flush();
    t.search.loadMore();
    t.asked[1]?.fail(new ApiError(0, "offline"));
    await flush();
    expect(t.state()).toMatchObject({ status: "done", loadingMore: false, error: { kind: "offline" } });
    expect(t.state().results).toHaveLength(1);
    t.search.retry();
    expect(t.asked[2]?.query.cursor).toBe("c1");
  });

  it("Enter asks at once, without waiting for the pause", () => {
    const t = setup();
    t.search.input("tower");
    t.search.submit();
    expect(t.fetch).toHaveBeenCalledOnce();
    t.clock.advance(SEARCH_DELAY_MS);
    expect(t.fetch).toHaveBeenCalledOnce();
  });

  it("after an expired session forgot the search, the same query is asked again; none while signed out", async () => {
    const t = setup();
    t.search.input("tower");
    t.clock.advance(SEARCH_DELAY_MS);
    t.asked[0]?.answer(page([1]));
    await flush();
    t.store.expireSession("Your session expired.");
    expect(t.state()).toMatchObject({ text: "", results: [] });
    t.store.signIn(SESSION);
    t.search.input("tower");
    t.clock.advance(SEARCH_DELAY_MS);
    expect(t.asked.map((a) => a.query.q)).toEqual(["tower", "tower"]);
    t.store.signOut();
    t.search.input("lighthouse");
    t.clock.advance(SEARCH_DELAY_MS);
    expect(t.fetch).toHaveBeenCalledTimes(2); // nobody to ask for
  });

  it("drops what arrives after signing out, and forgets the results", async () => {
    const t = setup();
    t.search.input("tower");
    t.clock.advance(SEARCH_DELAY_MS);
    t.search.reset();
    expect(t.asked[0]?.signal.aborted).toBe(true);
    t.asked[0]?.answer(page([1]));
    await flush();
    expect(t.state()).toMatchObject({ text: "", status: "idle", results: [] });
  });
});

describe("groupByRoom", () => {
  it("groups results by room, rooms in the order of their newest result, results newest first", () => {
    const results = [
      ...page([50], null, "dm-1").results,
      ...page([40, 39], null, "lobby").results,
      ...page([48], null, "dm-1").results,
      ...page([7], null, "gone").results,
    ];
    const names: Record<string, string> = { "dm-1": "Bob Builder", lobby: "lobby" };
    const groups = groupByRoom(results, (id) => names[id] ?? "Unknown room");
    expect(groups.map((g) => [g.name, g.results.map((m) => m.seq)])).toEqual([
      ["Bob Builder", [50, 48]],
      ["lobby", [40, 39]],
      ["Unknown room", [7]],
    ]);
  });
});
