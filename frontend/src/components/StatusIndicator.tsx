import { useNow } from "../hooks";
import type { ConnectionStatus } from "../realtime/store";

export function statusText(status: ConnectionStatus, now: number): string {
  switch (status.kind) {
    case "live":
      return "Live";
    case "connecting":
      return "Connecting…";
    case "reconnecting": {
      const seconds = Math.max(0, Math.ceil((status.at - now) / 1000));
      return seconds > 0 ? `Reconnecting in ${seconds}s` : "Reconnecting…";
    }
    case "offline":
      return `Offline: ${status.reason}`;
  }
}

export function StatusIndicator({ status, onRetry }: { status: ConnectionStatus; onRetry: () => void }) {
  const now = useNow(status.kind === "reconnecting", 500);
  return (
    <div className={`status status--${status.kind}`} role="status" aria-live="polite" data-status={status.kind}>
      <span className="status__dot" aria-hidden="true" />
      <span className="status__text">{statusText(status, now)}</span>
      {(status.kind === "reconnecting" || (status.kind === "offline" && status.reason === "No network connection")) && (
        <button type="button" className="link status__retry" onClick={onRetry}>
          Retry now
        </button>
      )}
    </div>
  );
}
