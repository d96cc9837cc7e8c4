import { describe, expect, it } from "vitest";
import { listing } from "./harness";
import { Store, type Session } from "./store";
import { MemoryStorage } from "./testing";

const NOW = 1_700_000_000_000;
const session = (expiresAt = NOW + 60_000, refreshToken = ""): Session => ({
  token: "tok",
  expiresAt,
  renewAt: expiresAt - 10_000,
  refreshToken,
  user: { id: "u1", username: "alice", display_name: "alice", created_at: "2024-01-01T00:00:00Z" },
});

describe("Store", () => {
  it("keeps the session across reloads until it expires", () => {
    const storage = new MemoryStorage();
    new Store(storage, () => NOW).signIn(session());
    expect(new Store(storage, () => NOW).getState().session?.token).toBe("tok");
    expect(new Store(storage, () => NOW + 61_000).getState().session).toBeNull();
  });

  it("with a refresh token, a session outlives its access token across reloads", () => {
    const storage = new MemoryStorage();
    new Store(storage, () => NOW).signIn(session(NOW + 60_000, "refresh-1"));
    const reloaded = new Store(storage, () => NOW + 3_600_000);
    expect(reloaded.getState().session?.refreshToken).toBe("refresh-1");
    reloaded.renewSession({ token: "tok-2", refreshToken: "refresh-2", expiresAt: NOW + 1, renewAt: NOW });
    const renewed = { token: "tok-2", refreshToken: "refresh-2", user: { id: "u1" } };
    expect(reloaded.getState().session).toMatchObject(renewed);
    expect(new Store(storage, () => NOW).getState().session?.token).toBe("tok-2");
  });

  it("takes the tokens another tab renewed, for the same user only", () => {
    const storage = new MemoryStorage();
    const mine = new Store(storage, () => NOW);
    mine.signIn(session(NOW + 60_000, "refresh-1"));
    const other = new Store(storage, () => NOW);
    other.renewSession({ token: "tok-2", refreshToken: "refresh-2", expiresAt: NOW + 60_000, renewAt: NOW + 50_000 });
    mine.adoptStoredSession();
    expect(mine.getState().session?.token).toBe("tok-2");
    const bob = { ...session(NOW + 60_000, "bob-refresh"), token: "bob", user: { ...session().user, id: "u2" } };
    other.signIn(bob);
    mine.adoptStoredSession();
    expect(mine.getState().session?.token).toBe("tok-2");
    expect(new Store(null, () => NOW).storedSession()).toBeUndefined();
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

  it("learns a DM's other person from their profile, never from ours, and only for a DM", () => {
    const store = new Store(null, () => NOW);
    store.setRooms([listing("dm-1", { kind: "dm", name: "alice, bob" }), listing("room-1")]);
    const bob = { id: "u-bob", username: "bob", display_name: "Bob", created_at: "" };
    store.learnDmPeer("dm-1", session().user, "u1");
    expect(store.getState().dmPeers).toEqual({});
    store.learnDmPeer("room-1", bob, "u1");
    store.learnDmPeer("dm-unknown", bob, "u1");
    expect(store.getState().dmPeers).toEqual({});
    store.learnDmPeer("dm-1", bob, "u1");
    expect(store.getState().dmPeers["dm-1"]).toBe(bob);
    const other = { ...bob, id: "u-cat", username: "cat" };
    store.learnDmPeer("dm-1", other, "u1"); // the person is known: a DM has one
    expect(store.getState().dmPeers["dm-1"]).toBe(bob);
  });
});
