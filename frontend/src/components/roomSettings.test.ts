import { describe, expect, it } from "vitest";
import { listing } from "../realtime/harness";
import { checkSettings, confirmsDeletion, formOf } from "./roomSettings";

describe("the room settings form", () => {
  const room = listing("r", { name: "alpha", description: "about alpha", is_private: false });

  it("asks only for what changed, trimmed", () => {
    expect(checkSettings(room, formOf(room))).toEqual({ ok: true, changes: {} });
    expect(checkSettings(room, { name: "  alpha-renamed ", description: "about alpha", isPrivate: true })).toEqual({
      ok: true,
      changes: { name: "alpha-renamed", is_private: true },
    });
    expect(checkSettings(room, { ...formOf(room), description: "" })).toEqual({ ok: true, changes: { description: "" } });
  });

  it("refuses what the server would: a blank name, a name over 100 or a description over 1000 characters", () => {
    expect(checkSettings(room, { ...formOf(room), name: "   " })).toEqual({ ok: false, error: "Give the room a name." });
    expect(checkSettings(room, { ...formOf(room), name: "x".repeat(101) }).ok).toBe(false);
    expect(checkSettings(room, { ...formOf(room), name: "😀".repeat(100) }).ok).toBe(true); // code points, not UTF-16
    expect(checkSettings(room, { ...formOf(room), description: "d".repeat(1001) }).ok).toBe(false);
  });

  it("deleting needs the room's name typed", () => {
    expect(confirmsDeletion(room, "")).toBe(false);
    expect(confirmsDeletion(room, "alph")).toBe(false);
    expect(confirmsDeletion(room, " alpha ")).toBe(true);
  });
});
