import { useAppState, useDocumentTitle } from "../hooks";
import { store } from "../services";
import { Icon } from "./Icon";

/** The home page: what to do next, and why the room that was open went away. */
export function Welcome() {
  const notice = useAppState((s) => s.roomNotice);
  useDocumentTitle("roomcast");
  return (
    <div className="welcome">
      {notice && (
        <div className="banner banner--action welcome__notice" role="status">
          <span>{notice}</span>
          <button type="button" className="button button--ghost button--small" onClick={() => store.setRoomNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      <div className="welcome__mark" aria-hidden="true">
        <Icon name="chat" size={44} />
      </div>
      <h1>Welcome to roomcast</h1>
      <p>Pick a room or a conversation on the left, create a new room, or browse the public rooms.</p>
    </div>
  );
}
