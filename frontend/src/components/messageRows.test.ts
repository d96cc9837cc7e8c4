import { describe, expect, it } from "vitest";
import { message } from "../realtime/testing";
import { buildRows, countAfter, firstUnread, rowIndexAt } from "./messageRows";

const at = (minutes: number) => new Date(Date.UTC(2024, 0, 1, 12, minutes)).toISOString();

describe("message rows", () => {
  const messages = [
    message(1, "u-ann", { created_at: at(0) }),
    message(2, "u-ann", { created_at: at(1) }),
    message(4, "u-bob", { created_at: at(2) }),
    message(5, "u-bob", { created_at: at(30) }),
    message(7, "u-ann", { created_at: at(31) }),
  ];

  it("groups a sender's messages minutes apart and marks the day's first", () => {
    const rows = buildRows(messages, [], null);
    expect(rows.map((r) => (r.kind === "message" ? [r.message.seq, r.grouped, r.dayStart] : null))).toEqual([
      [1, false, true],
      [2, true, false],
      [4, false, false],
      [5, false, false],
      [7, false, false],
    ]);
  });

  it("puts New messages above the first unread message of someone else", () => {
    expect(firstUnread(messages, 2, "u-bob")?.seq).toBe(7); // bob's own are not unread
    expect(firstUnread(messages, 2, "u-ann")?.seq).toBe(4);
    expect(firstUnread(messages, 7, "u-ann")).toBeNull();
    expect(firstUnread(messages, null, "u-ann")).toBeNull();
    const rows = buildRows(messages, [], 4);
    expect(rows.filter((r) => r.kind === "message" && r.unreadStart).map((r) => r.key)).toEqual(["m4"]);
  });

  it("finds the row of a seq, or the message after it, only inside the run", () => {
    const rows = buildRows(messages, [], null);
    expect(rowIndexAt(rows, 4)).toBe(2);
    expect(rowIndexAt(rows, 3)).toBe(2); // an update's seq: the next message
    expect(rowIndexAt(rows, 0)).toBe(-1); // before the run: not loaded
    expect(rowIndexAt(rows, 8)).toBe(-1);
  });

  it("counts the messages of others below a seq", () => {
    expect(countAfter(messages, 2, "u-ann")).toBe(2);
    expect(countAfter(messages, 7, "u-ann")).toBe(0);
  });
});
