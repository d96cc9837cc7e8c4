import { describe, expect, it } from "vitest";
import type { Member } from "../realtime/api";
import { completeMention, mentionAt, suggestions } from "./mentionComplete";

const member = (user_id: string, username: string, display_name = ""): Member => ({ user_id, username, display_name, role: "member", online: false });
const MEMBERS = [member("u-1", "alice", "Alice Liddell"), member("u-2", "albert"), member("u-3", "bob", "Bob Builder"), member("u-4", "me")];

describe("mention autocomplete", () => {
  it("finds the @name being typed before the caret", () => {
    expect(mentionAt("hi @al", 6)).toEqual({ start: 3, query: "al" });
    expect(mentionAt("@b", 2)).toEqual({ start: 0, query: "b" });
    expect(mentionAt("hi @", 4)).toBeNull(); // an @ alone: nothing to look for yet
    expect(mentionAt("mail@al", 7)).toBeNull(); // inside an address
    expect(mentionAt("hi @al there", 12)).toBeNull();
    expect(mentionAt("hi @al there", 6)).toEqual({ start: 3, query: "al" });
  });

  it("suggests members by username, then by display name, never oneself", () => {
    expect(suggestions(MEMBERS, "al", "u-4").map((m) => m.username)).toEqual(["albert", "alice"]);
    expect(suggestions(MEMBERS, "build", "u-4").map((m) => m.username)).toEqual(["bob"]);
    expect(suggestions(MEMBERS, "m", "u-4")).toEqual([]);
  });

  it("completes the name with a space after it, the caret after that", () => {
    expect(completeMention("hi @al", { start: 3, query: "al" }, 6, "alice")).toEqual({ text: "hi @alice ", caret: 10 });
    expect(completeMention("@b how are you", { start: 0, query: "b" }, 2, "bob")).toEqual({ text: "@bob how are you", caret: 5 });
  });
});
