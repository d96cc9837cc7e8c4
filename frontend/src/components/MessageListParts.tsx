// Around the message list: the top (older messages, the room's beginning) and the buttons that
// bring the reader back (to the latest message, to the first unread, out of a jump's window).

export interface ListContext {
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  empty: boolean;
  /** The live run (not a jump's window). */
  live: boolean;
  hasNewer: boolean;
  loadingNewer: boolean;
  onLoadNewer: () => void;
}

export function ListHeader({ context }: { context?: ListContext }) {
  if (!context) return null;
  if (context.hasOlder) {
    return (
      <div className="messages__older">
        <button type="button" className="link" onClick={context.onLoadOlder} disabled={context.loadingOlder}>
          {context.loadingOlder ? "Loading older messages…" : "Load older messages"}
        </button>
      </div>
    );
  }
  // The beginning of the room is said above its first message (MessageRow), kept together with it.
  if (context.empty) return <p className="messages__empty">No messages yet. Say hello!</p>;
  return null;
}

export function ListFooter({ context }: { context?: ListContext }) {
  if (!context || context.live || !context.hasNewer) return <div className="messages__end" />;
  return <p className="messages__older">{context.loadingNewer ? "Loading newer messages…" : ""}</p>;
}

interface JumpProps {
  live: boolean;
  atBottom: boolean;
  /** New messages from others below the reader. */
  below: number;
  showUnread: boolean;
  hasNewer: boolean;
  loadingNewer: boolean;
  onLatest: () => void;
  onUnread: () => void;
  onLoadNewer: () => void;
  onShowNewest: () => void;
}

export function JumpButtons(props: JumpProps) {
  const { live, atBottom, below, showUnread } = props;
  return (
    <>
      {showUnread && (
        <button type="button" className="messages__jump messages__jump--unread button button--small" onClick={props.onUnread}>
          Jump to first unread
        </button>
      )}
      {live && !atBottom && (
        <button type="button" className="messages__jump messages__jump--latest button button--small" onClick={props.onLatest}>
          Jump to latest
          {below > 0 && (
            <span className="messages__jump-count">
              {" "}
              ({below} new)
            </span>
          )}
        </button>
      )}
      {!live && (
        <div className="messages__newer">
          {props.hasNewer && (
            <button type="button" className="link" onClick={props.onLoadNewer} disabled={props.loadingNewer}>
              {props.loadingNewer ? "Loading newer messages…" : "Load newer messages"}
            </button>
          )}
          <button type="button" className="button button--small" onClick={props.onShowNewest}>
            Jump to newest
          </button>
        </div>
      )}
    </>
  );
}
