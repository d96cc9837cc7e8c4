import { describe, expect, it } from "vitest";
import { checkQuery, highlight, matchRanges, parseTerms, snippet } from "./query";

const marked = (text: string, terms: string[]) =>
  highlight(text, terms)
    .map((s) => (s.match ? `[${s.text}]` : s.text))
    .join("");

describe("parseTerms", () => {
  it("splits on white space of any kind; a double-quoted phrase is one term, its spaces folded", () => {
    expect(parseTerms("  new\tyork  pizza\n")).toEqual(["new", "york", "pizza"]);
    expect(parseTerms('"new   york" pizza')).toEqual(["new york", "pizza"]);
    expect(parseTerms('pizza "new york"')).toEqual(["pizza", "new york"]);
    expect(parseTerms("東京\u3000タワー")).toEqual(["東京", "タワー"]); // the ideographic space too
  });

  it("reads quotes as the server does: an unclosed one is part of its word", () => {
    expect(parseTerms('say "hello there')).toEqual(["say", '"hello', "there"]);
    expect(parseTerms('"" abc')).toEqual(['""', "abc"]);
  });

  it("keeps each term once, whatever its case", () => {
    expect(parseTerms("Tower tower TOWER top")).toEqual(["Tower", "top"]);
  });
});

describe("checkQuery", () => {
  it("needs 3 characters in a row, neither space nor quote, counted as characters (any script)", () => {
    expect(checkQuery("")).toEqual({ kind: "empty" });
    expect(checkQuery("   ")).toEqual({ kind: "empty" });
    expect(checkQuery("ab cd")).toEqual({ kind: "short" });
    expect(checkQuery("ab cde")).toEqual({ kind: "ok", terms: ["ab", "cde"] });
    expect(checkQuery("タワー")).toEqual({ kind: "ok", terms: ["タワー"] });
    expect(checkQuery("東京")).toEqual({ kind: "short" });
    expect(checkQuery("😀😀").kind).toBe("short"); // two characters, four UTF-16 units
    expect(checkQuery("😀😀😀").kind).toBe("ok");
    expect(checkQuery('"a b"').kind).toBe("short"); // a phrase of 3, but not 3 in a row
    expect(checkQuery('ab"c').kind).toBe("short");
  });

  it("refuses more than 200 characters before asking", () => {
    expect(checkQuery("x".repeat(200)).kind).toBe("ok");
    expect(checkQuery("x".repeat(201))).toEqual({ kind: "long" });
  });
});

describe("highlight", () => {
  it("marks every occurrence of every term, case-insensitively, and keeps the whole text", () => {
    expect(marked("Tower of towers, TOWER!", ["tower"])).toBe("[Tower] of [tower]s, [TOWER]!");
    const segments = highlight("Tower of towers", ["tower"]);
    expect(segments.map((s) => s.text).join("")).toBe("Tower of towers");
  });

  it("matches parts of words and merges overlapping terms into one mark", () => {
    expect(marked("unbelievable", ["lie", "believ"])).toBe("un[believ]able");
    expect(marked("abcdef", ["abc", "cde"])).toBe("[abcde]f");
    expect(marked("aaaa", ["aaa"])).toBe("[aaaa]");
  });

  it("takes regex-special characters literally", () => {
    expect(marked("cost: $5.00 (approx.) [draft] a+b", ["$5.00", "(approx.)", "[draft]", "a+b"])).toBe(
      "cost: [$5.00] [(approx.)] [[draft]] [a+b]",
    );
    expect(marked("nothing here", [".*"])).toBe("nothing here");
    expect(marked("back\\slash", ["\\s"])).toBe("back[\\s]lash");
  });

  it("finds CJK terms inside words without spaces", () => {
    expect(marked("今日は東京タワーに行きました", ["タワー"])).toBe("今日は東京[タワー]に行きました");
    expect(marked("東京タワー", ["東京", "タワー"])).toBe("[東京タワー]");
  });

  it("maps matches back to the text when lower-casing changes its length", () => {
    // "İ" lower-cases to two UTF-16 units: what follows must not shift
    expect(marked("İstanbul gezisi", ["gezi"])).toBe("İstanbul [gezi]si");
    expect(marked("Straße STRASSE", ["straße"])).toBe("[Straße] STRASSE");
    expect(matchRanges("😀 smile 😀", ["smile"])).toEqual([[3, 8]]);
  });

  it("is one unmarked stretch without terms or matches", () => {
    expect(highlight("plain", [])).toEqual([{ text: "plain", match: false }]);
    expect(highlight("", ["abc"])).toEqual([{ text: "", match: false }]);
  });
});

describe("snippet", () => {
  it("keeps a short message whole, white space folded", () => {
    expect(snippet("one\n\ntwo   three", ["two"])).toBe("one two three");
  });

  it("cuts a long message around its first match, saying where it was cut", () => {
    const text = `${"a".repeat(300)} needle ${"b".repeat(300)}`;
    const cut = snippet(text, ["needle"], 100);
    expect(cut.startsWith("…")).toBe(true);
    expect(cut.endsWith("…")).toBe(true);
    expect(cut).toContain("needle");
    expect(cut.length).toBeLessThanOrEqual(102);
    expect(snippet(`needle ${"b".repeat(300)}`, ["needle"], 100).startsWith("needle")).toBe(true);
  });

  it("never cuts a character in two", () => {
    const text = `${"😀".repeat(100)}タワー${"😀".repeat(100)}`;
    const cut = snippet(text, ["タワー"], 51);
    expect(cut).toContain("タワー");
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(cut)).toBe(false);
  });
});
