import { describe, expect, it } from "vitest";
import { listing } from "./harness";
import {
  byActivity,
  readUpTo,
  titleWithUnread,
  totalUnread,
  withActivity,
  withMyRole,
  withReadMarker,
  withSettings,
} from "./roomlist";
import { message } from "./testing";

describe("room_activity and read_marker", () => {
  it("takes the server's counts and the newest message", () => {
    const room = listing("r", { last_seq: 3, unread_count: 1, last_message: message(3) });
    const next = withActivity(room, { room_id: "r", last_seq: 5, unread_count: 3, mention_count: 1, last_message: message(5) });
    expect(next).toMatchObject({ last_seq: 5, unread_count: 3, mention_count: 1, last_message: { seq: 5 } });
  });

  it("keeps a newer message the room's subscription already showed (activity trails by up to a second)", () => {
    const room = listing("r", { last_seq: 7, last_message: message(7) });
    const next = withActivity(room, { room_id: "r", last_seq: 6, unread_count: 2, mention_count: 0, last_message: message(6) });
    expect(next.last_message?.seq).toBe(7);
    expect(next.last_seq).toBe(7);
    expect(next.unread_count).toBe(2);
  });

  it("a read marker never moves the read mark back", () => {
    const room = listing("r", { read_seq: 9, unread_count: 2, mention_count: 1 });
    expect(withReadMarker(room, { room_id: "r", read_seq: 4, unread_count: 0, mention_count: 0 })).toMatchObject({
      read_seq: 9,
      unread_count: 0,
      mention_count: 0,
    });
    const read = listing("r", { read_seq: 5 });
    expect(readUpTo(read, 5)).toBe(read);
    expect(readUpTo(listing("r", { unread_count: 2 }), 5)).toMatchObject({ read_seq: 5, unread_count: 0 });
  });
});

describe("the tab title", () => {
  const rooms = [listing("a", { unread_count: 2 }), listing("b", { unread_count: 1 }), listing("c")];

  it("counts every room's unread, except the one on screen while the tab is visible", () => {
    expect(totalUnread(rooms, null, true)).toBe(3);
    expect(totalUnread(rooms, "a", true)).toBe(1);
    expect(totalUnread(rooms, "a", false)).toBe(3);
    expect(totalUnread([], null, true)).toBe(0);
  });

  it("leads with the count, and is the plain title at zero", () => {
    expect(titleWithUnread("roomcast", 3)).toBe("(3) roomcast");
    expect(titleWithUnread("lobby · roomcast", 0)).toBe("lobby · roomcast");
  });
});

it("lists the most recently active room first", () => {
  const quiet = listing("quiet", { created_at: "2024-01-01T00:00:00Z" });
  const busy = listing("busy", { created_at: "2023-01-01T00:00:00Z", last_message: message(1) });
  expect(byActivity([quiet, busy]).map((r) => r.id)).toEqual(["busy", "quiet"]);
});

describe("room_updated and our role", () => {
  it("takes the new name, description and visibility, and keeps the read state and counts", () => {
    const room = listing("r", { name: "alpha", last_seq: 4, read_seq: 2, unread_count: 2, role: "admin" });
    const next = withSettings(room, { ...room, name: "alpha-renamed", description: "about alpha", is_private: true });
    expect(next).toEqual({ ...room, name: "alpha-renamed", description: "about alpha", is_private: true });
    expect(room.name).toBe("alpha"); // a new snapshot, the old one untouched
  });

  it("an update that changes nothing keeps the same object (no re-render)", () => {
    const room = listing("r", { name: "alpha", description: "d" });
    expect(withSettings(room, { ...room, created_at: "2030-01-01T00:00:00Z" })).toBe(room);
  });

  it("follows a change of our own role only", () => {
    const room = listing("r", { role: "member" });
    const promoted = { room_id: "r", user_id: "u-me", username: "me", change: "role" as const, role: "admin" };
    expect(withMyRole(room, promoted, "u-me").role).toBe("admin");
    expect(withMyRole(room, { ...promoted, user_id: "u-bob", username: "bob" }, "u-me")).toBe(room);
    expect(withMyRole(room, { ...promoted, change: "added" }, "u-me")).toBe(room);
    expect(withMyRole(room, { ...promoted, role: "member" }, "u-me")).toBe(room);
  });
});
