import { useId } from "react";
import type { ReplyRef } from "../realtime/protocol";

/**
 * The message replied to, above the reply: its sender and the start of its text. A button,
 * so it can be reached and used from the keyboard; its name stays short and fixed, the quote
 * is its description.
 */
export function ReplyQuote({ reply, name, onJump }: { reply: ReplyRef; name: string; onJump?: () => void }) {
  const id = useId();
  const body = (
    <span id={id} className="reply-quote__body">
      <span className="reply-quote__author">{name}</span>{" "}
      {reply.content === "" ? (
        <em className="reply-quote__text reply-quote__text--gone">Original message was deleted</em>
      ) : (
        <span className="reply-quote__text">{reply.content}</span>
      )}
    </span>
  );
  if (!onJump) return <div className="reply-quote">{body}</div>;
  return (
    <button type="button" className="reply-quote" aria-label="Show the original message" aria-describedby={id} onClick={onJump}>
      {body}
    </button>
  );
}
