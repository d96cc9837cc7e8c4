// A message's text: a Markdown subset (bold, italic, strike, code, code blocks, quotes, lists,
// links) rendered by react-markdown as React elements. Raw HTML is shown as text, images and
// headings are not part of chat (an image is a link to it, a heading a bold line), and only
// http, https and mailto links are links: anything else stays the text it was written as.
import { memo, type ComponentProps, type ReactNode } from "react";
import Markdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";
import { remarkMentions, safeHref, urlTransform } from "./markdown";

const NO_NAMES: ReadonlySet<string> = new Set();

interface Props {
  content: string;
  /** Our username: mentions of it stand out. */
  me: string | null;
  /** Usernames (lower case) of the room's people: only their @mentions are highlighted. */
  known?: ReadonlySet<string>;
}

function Link({ href, children, title }: ComponentProps<"a">) {
  const safe = safeHref(href);
  if (safe === null) return <span className="message__unsafe-link">{children}</span>;
  return (
    <a href={safe} title={title} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}

function Image({ src, alt }: ComponentProps<"img">) {
  const safe = typeof src === "string" ? safeHref(src) : null;
  const label = alt || (typeof src === "string" ? src : "") || "image";
  if (safe === null) return <>{label}</>;
  return (
    <a href={safe} target="_blank" rel="noopener noreferrer">
      {label}
    </a>
  );
}

function Heading({ children }: { children?: ReactNode }) {
  return (
    <p>
      <strong>{children}</strong>
    </p>
  );
}

const COMPONENTS: Components = {
  a: Link,
  img: Image,
  h1: Heading,
  h2: Heading,
  h3: Heading,
  h4: Heading,
  h5: Heading,
  h6: Heading,
  // A task list's box would look like a control that does nothing.
  input: () => null,
};
/** GFM footnotes point at ids in the page: their references read as text. */
const DISALLOWED = ["sup", "section"];

const plugins = new WeakMap<ReadonlySet<string>, Map<string, ReturnType<typeof remarkMentions>>>();

function mentionPlugin(known: ReadonlySet<string>, me: string | null) {
  let byMe = plugins.get(known);
  if (!byMe) plugins.set(known, (byMe = new Map()));
  const key = me ?? "";
  let plugin = byMe.get(key);
  if (!plugin) byMe.set(key, (plugin = remarkMentions(known, me)));
  return plugin;
}

export const MessageText = memo(function MessageText({ content, me, known = NO_NAMES }: Props) {
  const names = me === null || known.has(me.toLowerCase()) ? known : new Set([...known, me.toLowerCase()]);
  return (
    <div className="message__text">
      <Markdown
        remarkPlugins={[remarkGfm, mentionPlugin(names, me)]}
        components={COMPONENTS}
        disallowedElements={DISALLOWED}
        unwrapDisallowed
        urlTransform={urlTransform}
      >
        {content}
      </Markdown>
    </div>
  );
});
