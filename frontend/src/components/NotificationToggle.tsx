import { useSyncExternalStore } from "react";
import { notifications } from "../services";
import { Icon } from "./Icon";

const HINT = {
  on: "Mentions and direct messages pop up while this tab is in the background.",
  off: "Get a desktop notification for mentions and direct messages while this tab is in the background.",
  blocked: "Notifications are blocked for this site in your browser's settings.",
  unsupported: "This browser cannot show desktop notifications.",
} as const;

/** Opt-in: the browser asks for permission only when this is clicked, never on load. */
export function NotificationToggle() {
  const state = useSyncExternalStore(notifications.subscribe, notifications.state);
  const on = state === "on";
  return (
    <button
      type="button"
      className={`notify-toggle ${on ? "is-on" : ""}`}
      aria-pressed={on}
      disabled={state === "blocked" || state === "unsupported"}
      title={HINT[state]}
      onClick={() => void notifications.toggle()}
    >
      <Icon name="bell" size={16} />
      <span className="notify-toggle__label">Desktop notifications</span>
      <span className="notify-toggle__state" aria-hidden="true">
        {on ? "On" : state === "blocked" ? "Blocked" : "Off"}
      </span>
    </button>
  );
}
