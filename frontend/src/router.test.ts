import { describe, expect, it } from "vitest";
import { messagePath, parseRoute, roomPath } from "./router";

describe("parseRoute", () => {
  it("opens a room at the newest, or at the message of ?seq=", () => {
    expect(parseRoute("/rooms/r%201")).toEqual({ name: "room", roomId: "r 1", seq: null });
    expect(parseRoute("/rooms/r1", "?seq=42")).toEqual({ name: "room", roomId: "r1", seq: 42 });
    expect(messagePath("r 1", 42)).toBe("/rooms/r%201?seq=42");
    const [path, search] = messagePath("r 1", 7).split("?");
    expect(parseRoute(path ?? "", `?${search}`)).toEqual({ name: "room", roomId: "r 1", seq: 7 });
    expect(roomPath("r1")).toBe("/rooms/r1");
  });

  it("ignores a seq that is not a positive whole number", () => {
    for (const search of ["?seq=", "?seq=abc", "?seq=0", "?seq=-3", "?seq=1.5"]) {
      expect(parseRoute("/rooms/r1", search)).toEqual({ name: "room", roomId: "r1", seq: null });
    }
  });
});

describe("the app's paths", () => {
  it("names every screen, and a malformed escape is a room id like any other", () => {
    expect(parseRoute("/mentions")).toEqual({ name: "mentions" });
    expect(parseRoute("/profile")).toEqual({ name: "profile" });
    expect(parseRoute("/browse")).toEqual({ name: "browse" });
    expect(parseRoute("/nowhere")).toEqual({ name: "home" });
    expect(parseRoute("/rooms/%E0%A4%A")).toEqual({ name: "room", roomId: "%E0%A4%A", seq: null });
  });
});
