// A search query as the server reads it (GET /api/search, services/search.py): a "quoted
// phrase" is one term (its white space folded to one space), else white space separates terms;
// every term a case-insensitive substring of the message; the query needs 3 characters in a
// row that are neither white space nor a quote. The same rules here say "type at least 3
// characters" before asking, and mark the matches in a result. Plain string search, never a
// RegExp built from the query: `.*(` is text like any other.
import { charCount } from "./protocol";

export const MIN_TERM_LENGTH = 3;
export const MAX_QUERY_LENGTH = 200;

// White space as Python's `str.isspace` sees it (the server splits with it), not ECMA's `\s`.
const SPACE = "\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
const TERM = new RegExp(`"([^"]+)"|([^${SPACE}]+)`, "gu");
const SPACES = new RegExp(`[${SPACE}]+`, "gu");
const INDEXABLE = new RegExp(`[^${SPACE}"\0]{${MIN_TERM_LENGTH}}`, "u");

/** The distinct terms of a query, in order (compared without regard to case). */
export function parseTerms(query: string): string[] {
  const seen = new Set<string>();
  const terms: string[] = [];
  for (const match of query.matchAll(TERM)) {
    const term = (match[1] ?? match[2] ?? "").replace(SPACES, " ").trim();
    const folded = term.toLowerCase();
    if (term !== "" && !seen.has(folded)) {
      seen.add(folded);
      terms.push(term);
    }
  }
  return terms;
}

export type QueryCheck =
  | { kind: "ok"; terms: string[] }
  | { kind: "empty" }
  | { kind: "short" }
  | { kind: "long" };

/** What the server would answer with 422, known before asking. */
export function checkQuery(query: string): QueryCheck {
  if (charCount(query) > MAX_QUERY_LENGTH) return { kind: "long" };
  const terms = parseTerms(query);
  if (terms.length === 0) return { kind: "empty" };
  if (!INDEXABLE.test(query)) return { kind: "short" };
  return { kind: "ok", terms };
}

/** One stretch of a text: matched by a term or not. */
export interface Segment {
  text: string;
  match: boolean;
}

/**
 * The text lower-cased code point by code point, with where each of its UTF-16 units came
 * from: lower-casing may change the length ("İ" becomes two units), so match positions are
 * mapped back to the original text, never assumed equal.
 */
function fold(text: string): { folded: string; from: number[]; to: number[] } {
  let folded = "";
  const from: number[] = [];
  const to: number[] = [];
  let i = 0;
  for (const ch of text) {
    const lower = ch.toLowerCase();
    for (let k = 0; k < lower.length; k++) {
      from.push(i);
      to.push(i + ch.length);
    }
    folded += lower;
    i += ch.length;
  }
  return { folded, from, to };
}

/** Where the terms occur in `text`, case-insensitively: sorted, overlaps merged, [start, end). */
export function matchRanges(text: string, terms: readonly string[]): [number, number][] {
  const { folded, from, to } = fold(text);
  const ranges: [number, number][] = [];
  for (const term of terms) {
    const needle = term.toLowerCase();
    if (needle === "") continue;
    for (let at = folded.indexOf(needle); at >= 0; at = folded.indexOf(needle, at + 1)) {
      const start = from[at];
      const end = to[at + needle.length - 1];
      if (start !== undefined && end !== undefined) ranges.push([start, end]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

/** `text` cut into matched and unmatched stretches, in order; together they are `text`. */
export function highlight(text: string, terms: readonly string[]): Segment[] {
  const segments: Segment[] = [];
  let at = 0;
  for (const [start, end] of matchRanges(text, terms)) {
    if (start > at) segments.push({ text: text.slice(at, start), match: false });
    segments.push({ text: text.slice(start, end), match: true });
    at = end;
  }
  if (at < text.length || segments.length === 0) segments.push({ text: text.slice(at), match: false });
  return segments;
}

const SNIPPET_LENGTH = 200;
const SNIPPET_LEAD = 60;

/**
 * A long message shortened around its first match, white space folded, "…" where it was cut;
 * a short one whole. Never cuts a character in two (UTF-16 surrogate pairs).
 */
export function snippet(text: string, terms: readonly string[], length = SNIPPET_LENGTH): string {
  const flat = text.replace(/\s+/gu, " ").trim();
  if (flat.length <= length) return flat;
  const first = matchRanges(flat, terms)[0];
  let start = first === undefined ? 0 : Math.max(0, first[0] - SNIPPET_LEAD);
  let end = Math.max(start + length, first?.[1] ?? 0);
  if (end > flat.length) {
    end = flat.length;
    start = Math.max(0, Math.min(start, end - length));
  }
  if (start > 0 && isLowSurrogate(flat.charCodeAt(start))) start--;
  if (isLowSurrogate(flat.charCodeAt(end))) end++;
  return `${start > 0 ? "…" : ""}${flat.slice(start, end)}${end < flat.length ? "…" : ""}`;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
