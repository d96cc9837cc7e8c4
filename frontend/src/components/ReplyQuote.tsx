import { useId } from "react";
import type { ReplyRef } from "../realtime/protocol";

/**
 * The message replied to, above the reply: its sender and the start of its text. A button,
 * so it can be reached and used from the keyboard; its name says what it does, then the quote.
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
  // Its name starts with what it does and goes on with what it shows (the visible text is in the name).
  return (
    <button type="button" className="reply-quote" onClick={onJump}>
      <span className="visually-hidden">Show the original message: </span>
      {body}
    </button>
  );
}
