// Search results as markup (react-dom/server): grouped by room, the matches in <mark>, the text
// as text nodes whatever it holds, each result a link to its room at that message.
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import { groupByRoom } from "../realtime/search";
import { message } from "../realtime/testing";
import { Highlighted, SearchResults } from "./SearchResults";

describe("Highlighted", () => {
  it("marks the matches with <mark> and escapes everything else", () => {
    const html = renderToStaticMarkup(<Highlighted text={'<img src=x onerror="alert(1)"> tower & TOWER'} terms={["tower"]} />);
    expect(html).toBe("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>tower</mark> &amp; <mark>TOWER</mark>");
  });

  it("a term that looks like markup is text too", () => {
    const html = renderToStaticMarkup(<Highlighted text="a <b>bold</b> claim" terms={["<b>"]} />);
    expect(html).toBe("a <mark>&lt;b&gt;</mark>bold&lt;/b&gt; claim");
  });
});

describe("SearchResults", () => {
  it("lists each room's results under its name, each a link to the room at that message", () => {
    const results = [
      message(40, "u-bob", { id: "a", room_id: "dm-1", content: "東京タワーに行きました" }),
      message(12, "u-ann", { id: "b", room_id: "lobby", content: "the tower (again)" }),
      message(9, "u-bob", { id: "c", room_id: "dm-1", content: "タワー?" }),
    ];
    const names: Record<string, string> = { "dm-1": "Bob Builder", lobby: "lobby" };
    const groups = groupByRoom(results, (id) => names[id] ?? "Unknown room");
    const kinds = new Map([
      ["dm-1", { isPrivate: true, isDm: true }],
      ["lobby", { isPrivate: false, isDm: false }],
    ]);
    const html = renderToStaticMarkup(<SearchResults groups={groups} terms={["タワー", "tower"]} kinds={kinds} onOpen={vi.fn()} />);
    const headings = [...html.matchAll(/<h3[^>]*>.*?<\/h3>/g)].map((m) => m[0].replace(/<[^>]+>/g, "").trim());
    expect(headings).toEqual(["BBBob Builder", "lobby"]); // a DM's heading has the person's avatar
    expect([...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual([
      "/rooms/dm-1?seq=40",
      "/rooms/dm-1?seq=9",
      "/rooms/lobby?seq=12",
    ]);
    expect(html).toContain("東京<mark>タワー</mark>に行きました");
    expect(html).toContain("the <mark>tower</mark> (again)");
    expect(html).toMatch(/<time datetime="[^"]+" title="[^"]+">/i); // the full date on hover
  });
});
