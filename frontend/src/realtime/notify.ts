// Opt-in desktop notifications (the browser's Notification API) for mentions and direct
// messages while the tab is hidden. Permission is asked only when the user turns them on:
// browsers distrust (and may block) a site that asks on load.
import type { RoomSummary } from "./protocol";
import type { KeyValueStorage } from "./store";

export interface Notice {
  roomId: string;
  title: string;
  body: string;
}

const BODY_LENGTH = 140;

/**
 * The notification a room's new activity deserves, if any: a message of someone else that
 * mentions the user, or any new message in a direct message, while the tab is hidden.
 */
export function activityNotice(
  before: RoomSummary | undefined,
  after: RoomSummary,
  context: { myId: string; hidden: boolean; roomName: string },
): Notice | null {
  if (!context.hidden || before === undefined) return null;
  const last = after.last_message;
  if (last === null || last.deleted || last.sender_id === context.myId) return null;
  const dm = after.kind === "dm" && after.unread_count > before.unread_count;
  const mentioned = after.mention_count > before.mention_count;
  if (!dm && !mentioned) return null;
  const body = Array.from(last.content);
  return {
    roomId: after.id,
    title: dm ? context.roomName : `${last.sender_username} mentioned you in #${context.roomName}`,
    body: body.length > BODY_LENGTH ? `${body.slice(0, BODY_LENGTH - 1).join("")}…` : last.content,
  };
}

/** The browser's Notification API, as far as this module uses it (so tests can hand a fake). */
export interface NotificationApi {
  permission(): NotificationPermission | "unsupported";
  requestPermission(): Promise<NotificationPermission>;
  show(notice: Notice, onClick: () => void): void;
}

export function browserNotifications(): NotificationApi {
  const supported = typeof window !== "undefined" && "Notification" in window;
  return {
    permission: () => (supported ? Notification.permission : "unsupported"),
    requestPermission: () => (supported ? Notification.requestPermission() : Promise.resolve("denied")),
    show: (notice, onClick) => {
      if (!supported) return;
      // One per room (tag): a newer one replaces the older instead of piling up.
      const shown = new Notification(notice.title, { body: notice.body, tag: notice.roomId });
      shown.onclick = () => {
        window.focus();
        onClick();
        shown.close();
      };
    },
  };
}

/** on: shown; off: not wanted (or not asked yet); blocked: the browser refuses; unsupported: no API. */
export type NotificationsState = "on" | "off" | "blocked" | "unsupported";

const PREFERENCE_KEY = "roomcast.notifications";

export class DesktopNotifications {
  private readonly listeners = new Set<() => void>();
  private wanted: boolean;
  private asking = false;

  constructor(
    private readonly api: NotificationApi,
    private readonly storage: KeyValueStorage | null,
  ) {
    this.wanted = this.read() === "on";
  }

  state = (): NotificationsState => {
    const permission = this.api.permission();
    if (permission === "unsupported") return "unsupported";
    if (permission === "denied") return "blocked";
    return this.wanted && permission === "granted" ? "on" : "off";
  };

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The user clicked the toggle: the only place permission is ever requested. */
  async toggle(): Promise<void> {
    if (this.asking) return;
    const state = this.state();
    if (state === "on") {
      this.setWanted(false);
      return;
    }
    if (state !== "off") return;
    if (this.api.permission() === "default") {
      this.asking = true;
      try {
        await this.api.requestPermission();
      } finally {
        this.asking = false;
      }
    }
    this.setWanted(this.api.permission() === "granted");
  }

  notify(notice: Notice, open: (roomId: string) => void): void {
    if (this.state() === "on") this.api.show(notice, () => open(notice.roomId));
  }

  private setWanted(wanted: boolean): void {
    this.wanted = wanted;
    try {
      this.storage?.setItem(PREFERENCE_KEY, wanted ? "on" : "off");
    } catch {
      // storage unavailable: the choice holds for this tab
    }
    for (const listener of [...this.listeners]) listener();
  }

  private read(): string | null {
    try {
      return this.storage?.getItem(PREFERENCE_KEY) ?? null;
    } catch {
      return null;
    }
  }
}
