// Message content is plain text: split into strings and mention spans, never parsed as HTML.
const MENTION = /(@[A-Za-z0-9_.-]{3,32})/;

export function MessageText({ content, me }: { content: string; me: string | null }) {
  const parts = content.split(MENTION);
  return (
    <p className="message__text">
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <span key={i} className={`mention ${me && part.slice(1) === me ? "mention--me" : ""}`}>
            {part}
          </span>
        ) : (
          part
        ),
      )}
    </p>
  );
}
