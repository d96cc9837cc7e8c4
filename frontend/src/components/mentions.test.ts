import { describe, expect, it, vi } from "vitest";
import type { Notification } from "../realtime/api";
import { message, messagePage } from "../realtime/testing";
import { MAX_PAGES, findMessage, markedRead, mentionsOf } from "./mentions";

const note = (id: string, extra: Partial<Notification> = {}): Notification => ({
  id,
  type: "mention",
  room_id: "room-1",
  message_id: `m-${id}`,
  count: 1,
  is_read: false,
  created_at: "2024-01-01T00:00:00Z",
  updated_at: "2024-01-01T00:00:00Z",
  ...extra,
});

describe("the mentions inbox", () => {
  const all = Array.from({ length: 450 }, (_, i) => message(i + 1));

  it("finds a mentioned message by id, paging back from the newest", async () => {
    const fetchPage = vi.fn(async (_room: string, page: { before?: number; limit?: number }) => messagePage(all, page));
    expect((await findMessage(fetchPage, "room-1", "m-440"))?.seq).toBe(440);
    expect(fetchPage).toHaveBeenCalledTimes(1);
    expect((await findMessage(fetchPage, "room-1", "m-3"))?.seq).toBe(3);
    expect(fetchPage.mock.calls.at(-1)?.[1]).toEqual({ before: 51, limit: 200 });
    expect(await findMessage(fetchPage, "room-1", "m-gone")).toBeNull();
  });

  it("stops after a few pages of a long history", async () => {
    const long = Array.from({ length: 5000 }, (_, i) => message(i + 1));
    const fetchPage = vi.fn(async (_room: string, page: { before?: number; limit?: number }) => messagePage(long, page));
    expect(await findMessage(fetchPage, "room-1", "m-1")).toBeNull();
    expect(fetchPage).toHaveBeenCalledTimes(MAX_PAGES);
  });

  it("lists mentions only, unread first, and marks them read in place", () => {
    const list = [
      note("old-read", { is_read: true, updated_at: "2024-01-03T00:00:00Z" }),
      note("message", { type: "message" }),
      note("older", { updated_at: "2024-01-01T00:00:00Z" }),
      note("newer", { updated_at: "2024-01-02T00:00:00Z" }),
    ];
    expect(mentionsOf(list).map((n) => n.id)).toEqual(["newer", "older", "old-read"]);
    expect(markedRead(list, "older")?.filter((n) => n.is_read).map((n) => n.id)).toEqual(["old-read", "older"]);
    expect(markedRead(list, null)?.every((n) => n.is_read)).toBe(true);
    expect(markedRead(undefined, null)).toBeUndefined();
  });
});
