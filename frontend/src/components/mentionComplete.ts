// @mention autocomplete in the composer, as pure functions of the text and the caret: what is
// being typed, who it may be, and the text once someone is chosen.
import type { Member } from "../realtime/api";

export const MAX_SUGGESTIONS = 8;

export interface MentionQuery {
  /** Where the `@` is. */
  start: number;
  /** What follows it, up to the caret. */
  query: string;
}

const TYPING_MENTION = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{1,32})$/;

/** The @name being typed just before the caret, or null (no `@`, or no letter after it yet). */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  const match = TYPING_MENTION.exec(text.slice(0, caret));
  if (!match) return null;
  const query = match[2] ?? "";
  return { start: caret - query.length - 1, query };
}

/** Members whose username or display name starts with the query (then contains it), not us. */
export function suggestions(members: readonly Member[], query: string, myId: string | null): Member[] {
  const q = query.toLowerCase();
  const scored: { member: Member; score: number }[] = [];
  for (const member of members) {
    if (member.user_id === myId) continue;
    const username = member.username.toLowerCase();
    const display = (member.display_name || "").toLowerCase();
    const words = display.split(/\s+/);
    let score = -1;
    if (username.startsWith(q)) score = 0;
    else if (display.startsWith(q) || words.some((w) => w.startsWith(q))) score = 1;
    else if (username.includes(q)) score = 2;
    if (score >= 0) scored.push({ member, score });
  }
  scored.sort((a, b) => a.score - b.score || a.member.username.localeCompare(b.member.username));
  return scored.slice(0, MAX_SUGGESTIONS).map((s) => s.member);
}

/** The text with the @name being typed replaced by `@username `, and where the caret goes. */
export function completeMention(text: string, at: MentionQuery, caret: number, username: string): { text: string; caret: number } {
  const before = text.slice(0, at.start);
  let after = text.slice(caret);
  if (after.startsWith(" ")) after = after.slice(1);
  const inserted = `@${username} `;
  return { text: before + inserted + after, caret: before.length + inserted.length };
}
