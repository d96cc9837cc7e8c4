import { describe, expect, it, vi } from "vitest";
import { ApiError, type TokenResponse } from "./api";
import { RETRY_MS, SESSION_ENDED, SessionKeeper, sessionFromTokens, type LockFn } from "./session";
import { Store } from "./store";
import { FakeClock, MemoryStorage } from "./testing";

const USER = { id: "u1", username: "alice", display_name: "alice", created_at: "2024-01-01T00:00:00Z" };
const TTL = 3600;
// expires_in less the server's whole-second rounding, 80 % of it.
const RENEW_AFTER = (TTL - 1) * 1000 * 0.8;

const tokens = (n: number, expires_in = TTL): TokenResponse => ({
  access_token: `access-${n}`,
  refresh_token: `refresh-${n}`,
  token_type: "bearer",
  expires_in,
});

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function setup(options: { storage?: MemoryStorage; signedIn?: boolean; withLock?: LockFn } = {}) {
  const clock = new FakeClock();
  const storage = options.storage ?? new MemoryStorage();
  const store = new Store(storage, () => clock.now());
  if (options.signedIn ?? true) store.signIn(sessionFromTokens(tokens(1), USER, clock.now()));
  let issued = 1;
  const answers: (() => Promise<TokenResponse>)[] = [];
  const refresh = vi.fn(async (_refreshToken: string) => {
    const answer = answers.shift();
    if (answer) return answer();
    issued++;
    return tokens(issued);
  });
  const keeper = new SessionKeeper({ store, refresh, clock, withLock: options.withLock });
  return { clock, storage, store, refresh, keeper, answers, token: () => store.getState().session?.token };
}

describe("SessionKeeper", () => {
  it("renews at 80 % of the access token's lifetime, again and again, with the newest refresh token", async () => {
    const t = setup();
    t.keeper.start();
    t.clock.advance(RENEW_AFTER - 1);
    expect(t.refresh).not.toHaveBeenCalled();
    t.clock.advance(1);
    await settle();
    expect(t.refresh).toHaveBeenCalledExactlyOnceWith("refresh-1");
    expect(t.token()).toBe("access-2");
    expect(t.store.getState().session?.refreshToken).toBe("refresh-2");
    t.clock.advance(RENEW_AFTER);
    await settle();
    expect(t.refresh).toHaveBeenLastCalledWith("refresh-2");
    expect(t.token()).toBe("access-3");
    // Ten access-token lifetimes later, still signed in without a password.
    for (let i = 0; i < 10; i++) {
      t.clock.advance(RENEW_AFTER);
      await settle();
    }
    expect(t.token()).toBe("access-13");
    expect(t.store.getState().session?.user).toEqual(USER);
  });

  it("asks once however many callers want a token at the same time", async () => {
    const t = setup();
    const results = await Promise.all([t.keeper.renew(), t.keeper.renew(), t.keeper.renew()]);
    expect(results).toEqual(["access-2", "access-2", "access-2"]);
    expect(t.refresh).toHaveBeenCalledOnce();
  });

  it("ends the session with a notice when the server refuses the refresh token", async () => {
    const t = setup();
    t.store.setDraft("room-1", "unsent words");
    t.answers.push(async () => {
      throw new ApiError(401, "refresh token already used: the session is revoked");
    });
    expect(await t.keeper.renew()).toBeNull();
    expect(t.store.getState().session).toBeNull();
    expect(t.store.getState().notice).toBe(SESSION_ENDED);
    expect(t.store.getState().drafts).toEqual({ "room-1": "unsent words" });
  });

  it("keeps the session when the server cannot be reached, and tries again soon", async () => {
    const t = setup();
    t.keeper.start();
    t.answers.push(async () => {
      throw new ApiError(0, "Cannot reach the server.");
    });
    await expect(t.keeper.renew()).rejects.toMatchObject({ status: 0 });
    expect(t.token()).toBe("access-1");
    t.clock.advance(RETRY_MS);
    await settle();
    expect(t.refresh).toHaveBeenCalledTimes(2);
    expect(t.token()).toBe("access-2");
  });

  it("after a reload with an expired access token, renews at once", async () => {
    const storage = new MemoryStorage();
    const before = setup({ storage });
    before.clock.advance(TTL * 2000);
    const t = setup({ storage, signedIn: false });
    t.clock.advance(TTL * 2000);
    expect(t.token()).toBe("access-1");
    t.keeper.start();
    t.clock.advance(0);
    await settle();
    expect(t.refresh).toHaveBeenCalledExactlyOnceWith("refresh-1");
    expect(t.token()).toBe("access-2");
  });

  it("takes another tab's renewal instead of spending a used refresh token", async () => {
    const storage = new MemoryStorage();
    const first = setup({ storage });
    const second = setup({ storage, signedIn: false });
    expect(second.token()).toBe("access-1");
    second.refresh.mockImplementation(async () => tokens(99));
    expect(await first.keeper.renew()).toBe("access-2");
    // The second tab missed the storage event; under the lock it sees the renewal and takes it.
    expect(await second.keeper.renew()).toBe("access-2");
    expect(second.refresh).not.toHaveBeenCalled();
    expect(second.store.getState().session?.refreshToken).toBe("refresh-2");
  });

  it("serialises renewals of all tabs through the lock", async () => {
    let held = false;
    const order: string[] = [];
    const withLock: LockFn = async (fn) => {
      while (held) await Promise.resolve();
      held = true;
      try {
        return await fn();
      } finally {
        held = false;
      }
    };
    const storage = new MemoryStorage();
    const first = setup({ storage, withLock });
    const second = setup({ storage, signedIn: false, withLock });
    first.refresh.mockImplementation(async () => {
      order.push("first");
      await settle();
      return tokens(2);
    });
    second.refresh.mockImplementation(async () => {
      order.push("second");
      return tokens(3);
    });
    const results = await Promise.all([first.keeper.renew(), second.keeper.renew()]);
    expect(order).toEqual(["first"]);
    expect(results).toEqual(["access-2", "access-2"]);
  });

  it("does not bring back a session signed out while its refresh was under way", async () => {
    const t = setup();
    let answer: (value: TokenResponse) => void = () => undefined;
    t.answers.push(() => new Promise((resolve) => (answer = resolve)));
    const pending = t.keeper.renew();
    await settle();
    t.store.signOut();
    answer(tokens(2));
    expect(await pending).toBeNull();
    expect(t.store.getState().session).toBeNull();
  });

  it("renews when a sleeping tab wakes up late", async () => {
    const t = setup();
    t.keeper.renewIfDue();
    await settle();
    expect(t.refresh).not.toHaveBeenCalled();
    t.keeper.stop(); // timers of a suspended tab do not fire
    t.clock.advance(RENEW_AFTER + 60_000);
    t.keeper.renewIfDue();
    await settle();
    expect(t.refresh).toHaveBeenCalledOnce();
    expect(t.token()).toBe("access-2");
  });

  it("renews short-lived tokens before the server's whole-second expiry", () => {
    const session = sessionFromTokens(tokens(1, 6), USER, 0);
    expect(session.expiresAt).toBe(5_000);
    expect(session.renewAt).toBe(4_000);
  });
});
