import { describe, expect, it } from "vitest";
import { listing } from "./harness";
import { dmPeerName, roomAvatarName, roomDisplayName } from "./names";

const me = { username: "Ann" };
const bob = { id: "u-bob", username: "bob", display_name: "Bob Builder", created_at: "" };

describe("room names", () => {
  it("a DM is named after the other person's display name", () => {
    const dm = listing("dm", { kind: "dm", name: "ann, bob" });
    expect(roomDisplayName(dm, me, { dm: bob })).toBe("Bob Builder");
    expect(roomDisplayName(dm, me, {})).toBe("bob"); // until the members are known
    expect(dmPeerName(listing("self", { kind: "dm", name: "ann" }), me, undefined)).toBe("Ann");
    expect(roomAvatarName(dm, me, { dm: bob })).toBe("bob"); // drawn as member lists draw people
  });

  it("a room keeps its own name", () => {
    expect(roomDisplayName(listing("r", { name: "lobby" }), me, { r: bob })).toBe("lobby");
  });
});
