// Message formatting as markup (react-dom/server): the Markdown subset becomes elements, and
// nothing a message says can become a script, an event handler or a dangerous link.
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { safeHref, splitMentions } from "./markdown";
import { MessageText } from "./MessageText";

const KNOWN = new Set(["alice", "bob", "j.doe"]);

function render(content: string, me: string | null = null): string {
  return renderToStaticMarkup(<MessageText content={content} me={me} known={KNOWN} />);
}

interface Tag {
  name: string;
  attrs: Record<string, string>;
}

/** React's markup quotes and escapes every attribute, so a regex reads its tags exactly. */
function tags(html: string): Tag[] {
  return [...html.matchAll(/<([a-z][a-z0-9]*)((?:\s+[^\s=>]+="[^"]*")*)\s*\/?>/g)].map((m) => ({
    name: m[1] ?? "",
    attrs: Object.fromEntries([...(m[2] ?? "").matchAll(/([^\s=]+)="([^"]*)"/g)].map((a) => [a[1] ?? "", a[2] ?? ""])),
  }));
}

const SAFE_TAGS = new Set(["div", "p", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span", "br", "hr", "table", "thead", "tbody", "tr", "th", "td"]);
const SAFE_ATTRS = new Set(["class", "href", "target", "rel", "title", "start", "align", "style"]);

function expectHarmless(html: string): void {
  for (const tag of tags(html)) {
    expect(SAFE_TAGS, `<${tag.name}> in ${html}`).toContain(tag.name);
    for (const [name, value] of Object.entries(tag.attrs)) {
      expect(SAFE_ATTRS, `${name}= in ${html}`).toContain(name);
      if (name === "href") expect(value).toMatch(/^(https?:\/\/|mailto:)/);
      if (name === "style") expect(value).toMatch(/^text-align:(left|right|center)$/);
    }
  }
  expect(html).not.toMatch(/<(script|img|iframe|svg|math|object|embed|form|input|style|link|meta)\b/i);
}

describe("MessageText formatting", () => {
  it("keeps plain text as one paragraph, line breaks and all", () => {
    expect(render("hi alice!\nsecond line")).toBe('<div class="message__text"><p>hi alice!\nsecond line</p></div>');
  });

  it("renders bold, italic, strike and inline code", () => {
    const html = render("**bold** *italic* _also_ ~~gone~~ `a < b`");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<em>italic</em>");
    expect(html).toContain("<em>also</em>");
    expect(html).toContain("<del>gone</del>");
    expect(html).toContain("<code>a &lt; b</code>");
  });

  it("renders code blocks, quotes and lists", () => {
    const html = render("```\nconst x = <div/>;\n```\n\n> quoted\n\n- one\n- two\n\n1. first\n2. second");
    expect(html).toMatch(/<pre><code>const x = &lt;div\/&gt;;\n<\/code><\/pre>/);
    expect(html).toMatch(/<blockquote>\s*<p>quoted<\/p>\s*<\/blockquote>/);
    expect(html).toMatch(/<ul>\s*<li>one<\/li>\s*<li>two<\/li>\s*<\/ul>/);
    expect(html).toMatch(/<ol>\s*<li>first<\/li>\s*<li>second<\/li>\s*<\/ol>/);
  });

  it("makes links and bare URLs open in a new tab without an opener", () => {
    const html = render("see https://example.com/a?b=1 and [docs](https://docs.example.org \"The docs\") or mail me@example.com");
    const links = tags(html).filter((t) => t.name === "a");
    expect(links.map((l) => l.attrs.href)).toEqual(["https://example.com/a?b=1", "https://docs.example.org/", "mailto:me@example.com"]);
    for (const link of links) {
      expect(link.attrs.target).toBe("_blank");
      expect(link.attrs.rel).toBe("noopener noreferrer");
    }
    expect(links[1]?.attrs.title).toBe("The docs");
  });

  it("shows headings as bold lines and images as links to them", () => {
    expect(render("# Big news")).toBe('<div class="message__text"><p><strong>Big news</strong></p></div>');
    const html = render("![a cat](https://example.com/cat.png)");
    expect(html).toContain('<a href="https://example.com/cat.png" target="_blank" rel="noopener noreferrer">a cat</a>');
    expect(html).not.toContain("<img");
  });

  it("highlights mentions of the room's people only, ours apart", () => {
    const html = render("@alice and @bob. but not @nobody, nor `@alice` in code, nor mail@alice.org", "bob");
    expect(html).toContain('<span class="mention">@alice</span>');
    expect(html).toContain('<span class="mention mention--me">@bob</span>.');
    expect(html).not.toContain("@nobody</span>");
    expect(html).toContain("<code>@alice</code>");
    expect(splitMentions("hi @J.Doe.", KNOWN)).toEqual([{ text: "hi " }, { text: "@J.Doe", mention: "J.Doe" }, { text: "." }]);
  });
});

describe("MessageText against XSS", () => {
  const JS_LINKS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](<javascript:alert(1)>)",
    "[x](java\tscript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](\u0001javascript:alert(1))",
    "[x](javascript://%0aalert(1))",
    "<javascript:alert(1)>",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](file:///etc/passwd)",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "javascript:alert(1)",
  ];

  it.each(JS_LINKS)("never links %j", (content) => {
    const html = render(content);
    expectHarmless(html);
    expect(tags(html).filter((t) => t.name === "a")).toEqual([]);
    expect(html.toLowerCase()).not.toMatch(/href="\s*(javascript|vbscript|data|file):/);
  });

  const HTML = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<b onmouseover=alert(1)>bold</b>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<svg/onload=alert(1)>",
    "<div>\n\n**inside**\n\n</div>",
    "<style>body{display:none}</style>",
    "`<script>`<script>alert(1)</script>",
    "<details open ontoggle=alert(1)>",
  ];

  it.each(HTML)("shows HTML as text: %j", (content) => {
    const html = render(content);
    expectHarmless(html);
    expect(html).toContain("&lt;");
  });

  it("keeps quotes in link titles and URLs inside their attribute", () => {
    const payloads = [
      '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
      '[x](https://example.com/"onmouseover="alert(1))',
      "[x](https://example.com/'onmouseover='alert(1))",
      '[x](<https://example.com/" onclick="alert(1)>)',
      'https://example.com/"><script>alert(1)</script>',
      '[x](https://example.com/?a=1&quot;onclick=&quot;alert(1))',
    ];
    for (const content of payloads) {
      const html = render(content);
      expectHarmless(html);
      for (const tag of tags(html)) expect(Object.keys(tag.attrs).some((a) => a.startsWith("on"))).toBe(false);
    }
  });

  it("accepts only absolute http, https and mailto addresses", () => {
    expect(safeHref("https://example.com")).toBe("https://example.com/");
    expect(safeHref("HTTP://EXAMPLE.COM/x")).toBe("http://example.com/x");
    expect(safeHref("mailto:a@b.c")).toBe("mailto:a@b.c");
    expect(safeHref(" \njavascript:alert(1)")).toBeNull();
    expect(safeHref("/rooms/x")).toBeNull();
    expect(safeHref("//evil.example")).toBeNull();
    expect(safeHref("ftp://example.com")).toBeNull();
  });
});
