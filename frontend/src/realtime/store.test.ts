import { describe, expect, it } from "vitest";
import { Store, type KeyValueStorage, type Session } from "./store";

class MemoryStorage implements KeyValueStorage {
  readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
}

const NOW = 1_700_000_000_000;
const session = (expiresAt = NOW + 60_000): Session => ({
  token: "tok",
  expiresAt,
  user: { id: "u1", username: "alice", display_name: "alice", created_at: "2024-01-01T00:00:00Z" },
});

describe("Store", () => {
  it("keeps the session across reloads until it expires", () => {
    const storage = new MemoryStorage();
    new Store(storage, () => NOW).signIn(session());
    expect(new Store(storage, () => NOW).getState().session?.token).toBe("tok");
    expect(new Store(storage, () => NOW + 61_000).getState().session).toBeNull();
  });

  it("an expired session goes back to login with a notice but keeps the drafts", () => {
    const storage = new MemoryStorage();
    const store = new Store(storage, () => NOW);
    store.signIn(session());
    store.setDraft("room-1", "half a thought");
    store.expireSession("Your session expired.");
    expect(store.getState().session).toBeNull();
    expect(store.getState().notice).toBe("Your session expired.");
    expect(store.getState().drafts).toEqual({ "room-1": "half a thought" });
    // and after a reload too, once the same user is back
    const reloaded = new Store(storage, () => NOW);
    reloaded.signIn(session());
    expect(reloaded.getState().drafts).toEqual({ "room-1": "half a thought" });
    store.signIn(session());
    expect(store.getState().notice).toBeNull();
    expect(store.getState().drafts["room-1"]).toBe("half a thought");
  });

  it("does not show one user's drafts to another who logs in on the same browser", () => {
    const storage = new MemoryStorage();
    const store = new Store(storage, () => NOW);
    store.signIn(session());
    store.setDraft("room-1", "alice's secret draft");
    store.expireSession("Your session expired.");
    const bob = { ...session(), user: { ...session().user, id: "u2", username: "bob" } };
    store.signIn(bob);
    expect(store.getState().drafts).toEqual({});
    store.setDraft("room-1", "bob writes");
    store.expireSession("expired");
    store.signIn(bob);
    expect(store.getState().drafts).toEqual({ "room-1": "bob writes" });
  });

  it("logging out on purpose forgets drafts and rooms", () => {
    const storage = new MemoryStorage();
    const store = new Store(storage, () => NOW);
    store.signIn(session());
    store.setDraft("room-1", "text");
    store.signOut();
    expect(store.getState().drafts).toEqual({});
    expect(storage.data.size).toBe(0);
  });

  it("notifies subscribers only when something changed", () => {
    const store = new Store(null, () => NOW);
    let calls = 0;
    const unsubscribe = store.subscribe(() => calls++);
    store.updateRoom("r", (room) => room);
    store.setDraft("r", "");
    expect(calls).toBe(0);
    store.setDraft("r", "x");
    const before = store.getState();
    store.updateRoom("r", (room) => ({ ...room, loadingOlder: true }));
    expect(calls).toBe(2);
    expect(store.getState()).not.toBe(before);
    expect(store.room("r").loadingOlder).toBe(true);
    unsubscribe();
    store.setDraft("r", "y");
    expect(calls).toBe(2);
  });
});
