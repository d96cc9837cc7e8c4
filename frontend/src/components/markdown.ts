// The Markdown subset of a message, as data: which links are links, which @names are mentions.
// Rendering (MessageText) goes through react-markdown, which builds React elements and never
// sets raw HTML; HTML written in a message is shown as the text it is.
import type { Root, RootContent, Text } from "mdast";

const LINK_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/**
 * The address a link may open, or null: absolute http, https and mailto only. The URL parser
 * is the browser's own, so what it calls the protocol is what a click would use (case, white
 * space and control characters inside the scheme, entities decoded by the Markdown parser).
 */
export function safeHref(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null; // relative or malformed: not a link in a chat message
  }
  if (!LINK_PROTOCOLS.has(url.protocol)) return null;
  return url.href;
}

/** react-markdown's urlTransform: an unsafe address becomes empty, and its link plain text. */
export function urlTransform(url: string): string {
  return safeHref(url) ?? "";
}

/** `@name` at a word's start; a name may end in dots only inside ("@bob." is bob). */
const MENTION = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,32})/g;

export interface MentionSplit {
  text: string;
  /** The username mentioned, when this part is a mention. */
  mention?: string;
}

/** Text split around the @mentions of known usernames (case-insensitive), in order. */
export function splitMentions(text: string, known: ReadonlySet<string>): MentionSplit[] {
  const parts: MentionSplit[] = [];
  let at = 0;
  for (const match of text.matchAll(MENTION)) {
    const start = (match.index ?? 0) + (match[1]?.length ?? 0);
    let name = match[2] ?? "";
    while (name.endsWith(".") && !known.has(name.toLowerCase())) name = name.slice(0, -1);
    if (name.length < 3 || !known.has(name.toLowerCase())) continue;
    if (start > at) parts.push({ text: text.slice(at, start) });
    parts.push({ text: `@${name}`, mention: name });
    at = start + 1 + name.length;
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  return parts;
}

/**
 * A remark plugin: mentions of `known` usernames (lower case) become `<span class="mention">`,
 * `mention--me` for `me`. Not inside links or code, which are not text nodes of their parent.
 */
export function remarkMentions(known: ReadonlySet<string>, me: string | null) {
  const mine = me?.toLowerCase() ?? null;
  return () => (tree: Root) => {
    const visit = (node: Root | RootContent): void => {
      if (!("children" in node) || node.type === "link" || node.type === "linkReference") return;
      const children: RootContent[] = [];
      let changed = false;
      for (const child of node.children as RootContent[]) {
        if (child.type !== "text") {
          visit(child);
          children.push(child);
          continue;
        }
        const parts = splitMentions(child.value, known);
        if (parts.length === 1 && parts[0]?.mention === undefined) {
          children.push(child);
          continue;
        }
        changed = true;
        for (const part of parts) children.push(part.mention === undefined ? text(part.text) : mention(part, mine));
      }
      if (changed) (node as { children: RootContent[] }).children = children;
    };
    visit(tree);
  };
}

function text(value: string): Text {
  return { type: "text", value };
}

function mention(part: MentionSplit, mine: string | null): RootContent {
  const isMe = mine !== null && part.mention?.toLowerCase() === mine;
  // An mdast node unknown to remark-rehype becomes the element its data names.
  return {
    type: "text",
    value: part.text,
    data: {
      hName: "span",
      hProperties: { className: isMe ? ["mention", "mention--me"] : ["mention"] },
      hChildren: [{ type: "text", value: part.text }],
    },
  } as Text;
}
