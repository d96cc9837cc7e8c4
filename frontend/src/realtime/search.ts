// Message search (GET /api/search) as the user types: each change waits SEARCH_DELAY_MS for
// the next keystroke, then asks; a newer query aborts the request of an older one, and an
// answer that still arrives for it is dropped, so results never belong to another query than
// the one they are shown for. What the panel shows lives in the store (`AppState.search`).
import { ApiError, type SearchPage, type SearchQuery } from "./api";
import type { Clock } from "./clock";
import type { Message } from "./protocol";
import { checkQuery, parseTerms } from "./query";
import type { Store } from "./store";

export const SEARCH_DELAY_MS = 250;
export const SEARCH_PAGE = 20;

/**
 * idle: nothing typed; short: no term of 3 characters; long: over 200; searching: waiting for
 * the pause in typing or for the answer (the previous results stay on screen meanwhile);
 * done: `results` answer `text`; error: the search failed (`error` says why).
 */
export type SearchStatus = "idle" | "short" | "long" | "searching" | "done" | "error";

export interface SearchError {
  kind: "invalid" | "rate" | "offline" | "failed";
  message: string;
}

export interface SearchState {
  open: boolean;
  /** What the search box holds. */
  text: string;
  /** One room only; null: every room. */
  roomId: string | null;
  status: SearchStatus;
  /** The query `results` answer, as terms (what is highlighted in them)… */
  terms: string[];
  /** …and as terms and scope: the same again is not asked again. */
  answers: string | null;
  results: Message[];
  nextCursor: string | null;
  loadingMore: boolean;
  /** Why the search failed (status "error") or the next page could not be read (status "done"). */
  error: SearchError | null;
}

export const EMPTY_SEARCH: SearchState = Object.freeze({
  open: false,
  text: "",
  roomId: null,
  status: "idle",
  terms: [],
  answers: null,
  results: [],
  nextCursor: null,
  loadingMore: false,
  error: null,
}) as SearchState;

export type SearchFetch = (query: SearchQuery, signal: AbortSignal) => Promise<SearchPage>;

export interface MessageSearchOptions {
  store: Store;
  fetch: SearchFetch;
  clock: Clock;
  delayMs?: number;
  pageSize?: number;
}

/** The query a request is for: the same terms in the same scope are the same search. */
function keyOf(text: string, roomId: string | null): string {
  return JSON.stringify([parseTerms(text), roomId]);
}

export class MessageSearch {
  private readonly store: Store;
  private readonly fetch: SearchFetch;
  private readonly clock: Clock;
  private readonly delayMs: number;
  private readonly pageSize: number;
  private timer: unknown = null;
  private request: AbortController | null = null;
  /** Bumped by every new query: answers to an older one are dropped. */
  private run = 0;
  /** The query asked for (or waited for) last. */
  private key: string | null = null;

  constructor(options: MessageSearchOptions) {
    this.store = options.store;
    this.fetch = options.fetch;
    this.clock = options.clock;
    this.delayMs = options.delayMs ?? SEARCH_DELAY_MS;
    this.pageSize = options.pageSize ?? SEARCH_PAGE;
  }

  private get state(): SearchState {
    return this.store.getState().search;
  }

  open(): void {
    this.patch({ open: true });
  }

  /** The panel goes away; its query and results stay for the next time it opens. */
  close(): void {
    this.patch({ open: false });
  }

  input(text: string): void {
    this.patch({ text });
    this.schedule();
  }

  /** Search one room, or every room (null). */
  scope(roomId: string | null): void {
    if (roomId === this.state.roomId) return;
    this.patch({ roomId });
    this.schedule();
  }

  /** Enter in the box: no need to wait for a pause in typing. */
  submit(): void {
    if (this.timer === null || this.state.status !== "searching") return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
    void this.ask(null);
  }

  /** The next page of the results shown. */
  loadMore(): void {
    const s = this.state;
    if (s.status !== "done" || s.nextCursor === null || s.loadingMore) return;
    this.patch({ loadingMore: true, error: null });
    void this.ask(s.nextCursor);
  }

  /** After an error: the search again, or the page that failed. */
  retry(): void {
    const s = this.state;
    if (s.status === "error") {
      this.key = null;
      this.schedule(0);
    } else if (s.status === "done" && s.error !== null) {
      this.loadMore();
    }
  }

  /** Signed out: nothing of this user's results stays, nothing still arrives. */
  reset(): void {
    this.cancel();
    this.key = null;
    this.store.updateSearch(() => EMPTY_SEARCH);
  }

  private schedule(delay = this.delayMs): void {
    const { text, roomId } = this.state;
    const check = checkQuery(text);
    if (check.kind !== "ok") {
      this.cancel();
      this.key = null;
      const status = check.kind === "empty" ? "idle" : check.kind;
      const cleared = { terms: [], answers: null, results: [], nextCursor: null, loadingMore: false, error: null };
      this.patch({ status, ...cleared });
      return;
    }
    const key = keyOf(text, roomId);
    const { status, answers } = this.state;
    const asked = status === "searching" || status === "done";
    if (key === this.key && asked && delay > 0) return; // the same search: on its way, or answered
    this.cancel();
    this.key = key;
    if (key === answers && delay > 0) {
      this.patch({ status: "done", loadingMore: false, error: null }); // typed away and back
      return;
    }
    this.patch({ status: "searching", loadingMore: false, error: null });
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.ask(null);
    }, delay);
  }

  /** The first page of the current query (cursor null), or the next one. */
  private async ask(cursor: string | null): Promise<void> {
    const run = this.run;
    const who = this.store.getState().session?.user.id;
    if (who === undefined) return; // signed out meanwhile
    const { text, roomId } = this.state;
    const controller = new AbortController();
    this.request = controller;
    const query: SearchQuery = { q: text.trim(), roomId, cursor, limit: this.pageSize };
    let page: SearchPage;
    try {
      page = await this.fetch(query, controller.signal);
    } catch (err) {
      if (run !== this.run || this.store.getState().session?.user.id !== who) return;
      this.request = null;
      this.failed(err, cursor !== null);
      return;
    }
    if (run !== this.run || this.store.getState().session?.user.id !== who) return;
    this.request = null;
    if (cursor === null) {
      this.patch({
        status: "done",
        terms: parseTerms(text),
        answers: keyOf(text, roomId),
        results: page.results,
        nextCursor: page.next_cursor,
        error: null,
      });
    } else {
      const shown = new Set(this.state.results.map((m) => m.id));
      const results = [...this.state.results, ...page.results.filter((m) => !shown.has(m.id))];
      this.patch({ results, nextCursor: page.next_cursor, loadingMore: false, error: null });
    }
  }

  private failed(err: unknown, more: boolean): void {
    const error = describeError(err);
    if (more) this.patch({ loadingMore: false, error });
    else {
      this.key = null; // the same query typed again is asked again
      this.patch({ status: "error", error, answers: null, results: [], nextCursor: null });
    }
    if (err instanceof ApiError && err.status === 429) {
      const run = this.run;
      const wait = Math.min(60, Math.max(1, err.retryAfter ?? 2)) * 1000;
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        if (run === this.run) this.retry();
      }, wait);
    }
  }

  /** Whatever was on its way for the previous query is given up. */
  private cancel(): void {
    this.run++;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.request?.abort();
    this.request = null;
  }

  private patch(patch: Partial<SearchState>): void {
    this.store.updateSearch((s) => {
      for (const k of Object.keys(patch) as (keyof SearchState)[]) {
        if (s[k] !== patch[k]) return { ...s, ...patch };
      }
      return s;
    });
  }
}

export function describeError(err: unknown): SearchError {
  if (err instanceof ApiError) {
    if (err.status === 422) return { kind: "invalid", message: err.detail };
    if (err.status === 429) {
      const wait = err.retryAfter ?? 2;
      return { kind: "rate", message: `You are searching too fast. Trying again in ${wait} s…` };
    }
    if (err.status === 0) {
      return { kind: "offline", message: "You seem to be offline: search needs the server. Check your connection." };
    }
    return { kind: "failed", message: `Search failed: ${err.detail}` };
  }
  return { kind: "failed", message: "Search failed." };
}

/** Results of one room, in the order the server gave them (newest first). */
export interface ResultGroup {
  roomId: string;
  name: string;
  results: Message[];
}

/** Results grouped by room: groups in the order of their newest result, each room once. */
export function groupByRoom(results: readonly Message[], nameOf: (roomId: string) => string): ResultGroup[] {
  const groups = new Map<string, ResultGroup>();
  for (const message of results) {
    let group = groups.get(message.room_id);
    if (group === undefined) {
      group = { roomId: message.room_id, name: nameOf(message.room_id), results: [] };
      groups.set(message.room_id, group);
    }
    group.results.push(message);
  }
  return [...groups.values()];
}
