// Keeps the user signed in (SPEC §3 sessions): renews the access token with the refresh token
// before it expires, once for all tabs of the browser, and ends the session when the server
// says it ended. Open sockets get each new token from the store (RoomClient sends `auth`).
import { ApiError, type TokenResponse } from "./api";
import { systemClock, type Clock } from "./clock";
import type { Session, SessionTokens, Store, User } from "./store";

/** Renew when this share of the access token's lifetime has passed. */
export const RENEW_AT = 0.8;
export const RETRY_MS = 5_000;
export const SESSION_ENDED = "Your session expired or was ended elsewhere. Log in again: your draft is kept.";

/** Runs `fn` while holding the browser-wide session lock (tabs share one refresh token). */
export type LockFn = <T>(fn: () => Promise<T>) => Promise<T>;

export const browserLock: LockFn = <T>(fn: () => Promise<T>): Promise<T> => {
  const locks = typeof navigator === "undefined" ? undefined : navigator.locks;
  if (!locks) return fn();
  // The lock is held until the callback's promise settles, that is until `fn` is done.
  return new Promise<T>((resolve, reject) => {
    locks.request("roomcast.session", () => fn().then(resolve, reject)).catch(reject);
  });
};

export function sessionTokens(tokens: TokenResponse, now: number): SessionTokens {
  // The server counts whole seconds: its token may expire up to 1 s before expires_in says.
  const lifetime = Math.max(0, tokens.expires_in - 1) * 1000;
  return {
    token: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: now + lifetime,
    renewAt: now + lifetime * RENEW_AT,
  };
}

export function sessionFromTokens(tokens: TokenResponse, user: User, now: number): Session {
  return { ...sessionTokens(tokens, now), user };
}

export interface SessionKeeperOptions {
  store: Store;
  refresh: (refreshToken: string) => Promise<TokenResponse>;
  clock?: Clock;
  withLock?: LockFn;
}

export class SessionKeeper {
  private readonly store: Store;
  private readonly refresh: (refreshToken: string) => Promise<TokenResponse>;
  private readonly clock: Clock;
  private readonly withLock: LockFn;
  private timer: unknown = null;
  private timerFor: string | null = null;
  private inFlight: Promise<string | null> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(options: SessionKeeperOptions) {
    this.store = options.store;
    this.refresh = options.refresh;
    this.clock = options.clock ?? systemClock;
    this.withLock = options.withLock ?? browserLock;
  }

  start(): void {
    if (this.unsubscribe !== null) return;
    this.unsubscribe = this.store.subscribe(() => this.schedule());
    this.schedule();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.clearTimer();
  }

  /**
   * A fresh access token now (one request however many ask at once): resolves null once the
   * session has ended (the store is signed out with a notice), rejects when the server cannot
   * be reached (the session may be fine: try again later).
   */
  renew(): Promise<string | null> {
    this.inFlight ??= this.run(true).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Timers of a hidden or sleeping tab run late: renew now if it is due. */
  renewIfDue(): void {
    const session = this.store.getState().session;
    if (session !== null && session.renewAt <= this.clock.now()) this.due();
  }

  private schedule(): void {
    const session = this.store.getState().session;
    const key = session === null ? null : session.token;
    if (key === this.timerFor) return;
    this.clearTimer();
    this.timerFor = key;
    if (session === null) return;
    this.arm(Math.max(0, session.renewAt - this.clock.now()));
  }

  private arm(delay: number, force = false): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.due(force);
    }, delay);
  }

  private due(force = false): void {
    if (this.inFlight !== null) return;
    this.inFlight = this.run(force).finally(() => {
      this.inFlight = null;
    });
    this.inFlight.catch(() => undefined);
  }

  private async run(force: boolean): Promise<string | null> {
    return this.withLock(async () => {
      const mine = this.store.getState().session;
      if (mine === null) return null;
      const stored = this.store.storedSession();
      if (stored && stored.user.id === mine.user.id && stored.refreshToken !== mine.refreshToken) {
        // Another tab renewed first: its tokens are the session's now, and ours is spent.
        this.store.adoptStoredSession();
        return this.store.getState().session?.token ?? null;
      }
      if (!force && mine.renewAt > this.clock.now()) return mine.token;
      if (!mine.refreshToken) {
        if (force) this.store.expireSession(SESSION_ENDED);
        return force ? null : mine.token;
      }
      let tokens: TokenResponse;
      try {
        tokens = await this.refresh(mine.refreshToken);
      } catch (err) {
        if (this.store.getState().session?.refreshToken !== mine.refreshToken) return null;
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
          this.store.expireSession(SESSION_ENDED);
          return null;
        }
        this.arm(RETRY_MS, true);
        throw err;
      }
      // Signed out (or in as someone else) while the request was under way: not ours to keep.
      if (this.store.getState().session?.refreshToken !== mine.refreshToken) return null;
      this.store.renewSession(sessionTokens(tokens, this.clock.now()));
      return tokens.access_token;
    });
  }

  private clearTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerFor = null;
  }
}
