// The member list as markup (react-dom/server): each action's accessible name starts with the
// words on the button (WCAG 2.5.3 label in name), and says whom it acts on.
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { Member } from "../realtime/api";
import { MembersPanel } from "./MembersPanel";

const member = (user_id: string, username: string, role: string): Member =>
  ({ user_id, username, display_name: "", role }) as Member;

const MEMBERS = [member("u1", "alice", "owner"), member("u2", "bob", "admin"), member("u3", "carol", "member")];

function render(myRole: string): string {
  return renderToStaticMarkup(
    <MembersPanel
      roomId="r1"
      members={MEMBERS}
      onlineIds={new Set(["u1"])}
      meId="u1"
      myRole={myRole}
      isDm={false}
      onChanged={() => {}}
      onClose={() => {}}
    />,
  );
}

/** Every button with an aria-label: [its accessible name, its visible text]. */
function labelledButtons(html: string): [string, string][] {
  return Array.from(html.matchAll(/<button[^>]*aria-label="([^"]*)"[^>]*>(.*?)<\/button>/g), (m) => [
    m[1] ?? "",
    (m[2] ?? "").replace(/<[^>]+>/g, "").trim(),
  ]);
}

describe("MembersPanel", () => {
  it("names each action by its visible words, then the member", () => {
    const buttons = labelledButtons(render("owner"));
    expect(buttons).toEqual(
      expect.arrayContaining([
        ["Remove admin: bob", "Remove admin"],
        ["Remove bob", "Remove"],
        ["Make admin: carol", "Make admin"],
        ["Remove carol", "Remove"],
      ]),
    );
    for (const [name, visible] of buttons) {
      if (visible !== "") expect(name.toLowerCase()).toContain(visible.toLowerCase());
    }
  });

  it("gives an admin no role changes, and a member no actions", () => {
    expect(render("admin")).not.toContain("Make admin");
    expect(labelledButtons(render("member")).map(([name]) => name)).toEqual(["Close members"]);
  });

  it("is a labelled region with its toggle's id", () => {
    const html = render("member");
    expect(html).toMatch(/<aside[^>]*aria-labelledby="members-title"[^>]*id="members-panel"/);
  });
});
