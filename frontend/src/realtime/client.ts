// One room on the user connection (SPEC §4b): its subscription, recovered with since_seq
// after any drop, typing and presence, members. Messages and their updates go into the store
// through `RoomLog`; history over REST, and jumps to a message, through `Scrollback`; sends,
// edits, deletes and reactions wait for their answer in `Outgoing`.
// The socket itself (reconnect, heartbeat, tokens) is the `UserConnection`'s; components only
// read the store.
import type { Clock } from "./clock";
import {
  withRoomId,
  type ClientFrame,
  type ConnectedData,
  type Message,
  type RemovalReason,
  type RoomClientFrame,
  type RoomServerFrame,
  type UserRef,
} from "./protocol";
import type { RoomFetchers } from "./options";
import { withMemberChange, withProfile } from "./members";
import { Outgoing, addUser } from "./outbox";
import { RoomLog } from "./roomlog";
import { readUpTo } from "./roomlist";
import { Scrollback } from "./scrollback";
import type { ConnectionStatus, RoomState, Store } from "./store";
import { TypingNotifier, TypingTracker } from "./typing";

export type { SocketLike } from "./options";

export const NOT_A_MEMBER = "You are not a member of this room";

const REMOVED: Record<RemovalReason, string> = {
  left: "You left this room",
  removed: "You were removed from this room",
  deleted: "This room was deleted",
};

/** What a room asks of the connection it rides on. */
export interface RoomLink {
  /** Writes a frame when the socket is open; false when it is not. */
  transmit(frame: ClientFrame): boolean;
  /** Subscribe this room again (it was refused, and may be ours now). */
  resubscribe(roomId: string): void;
  reconnectNow(): void;
  setNetwork(online: boolean): void;
}

export interface RoomClientOptions extends RoomFetchers {
  store: Store;
  roomId: string;
  link: RoomLink;
  clock: Clock;
  ackTimeoutMs: number;
}

/**
 * idle: no subscription (the socket is down); subscribing: `subscribe` sent; live: `subscribed`
 * arrived; refused: `subscribe_error`; removed: the room is no longer the user's (`room_removed`).
 */
export type SubscriptionState = "idle" | "subscribing" | "live" | "refused" | "removed";

export class RoomClient {
  readonly roomId: string;
  private readonly store: Store;
  private readonly link: RoomLink;
  private readonly clock: Clock;
  private readonly fetchers: RoomFetchers;
  private state: SubscriptionState = "idle";
  private readonly outgoing: Outgoing;
  private readonly log: RoomLog;
  private readonly history: Scrollback;
  /** Bumped by every subscription and its end: a catch-up of an older one stops. */
  private generation = 0;
  private readonly typing: TypingTracker;
  private readonly notifier: TypingNotifier;

  constructor(options: RoomClientOptions) {
    this.roomId = options.roomId;
    this.store = options.store;
    this.link = options.link;
    this.clock = options.clock;
    this.fetchers = options;
    this.log = new RoomLog(this.store, this.roomId);
    this.history = new Scrollback(this.store, this.roomId, this.log, options.fetchPage);
    this.outgoing = new Outgoing({
      clock: this.clock,
      ackTimeoutMs: options.ackTimeoutMs,
      transmit: (frame) => this.transmitFrame(frame),
      room: () => this.room(),
      update: (fn) => this.update(fn),
    });
    this.typing = new TypingTracker(this.clock, (users) => this.update((r) => ({ ...r, typing: users })));
    this.notifier = new TypingNotifier(this.clock, (type) => this.transmitFrame({ type, data: {} }));
    this.update((r) => (r.removed === null ? r : { ...r, removed: null }));
  }

  get isLive(): boolean {
    return this.state === "live";
  }

  get subscription(): SubscriptionState {
    return this.state;
  }

  /**
   * Queue a message (a reply when `replyTo` is given); sent now when live, else once subscribed
   * again. It shows at the end of the room: a reader far back in the history is taken there.
   */
  send(content: string, replyTo: Message | null = null): string | null {
    const clientId = this.outgoing.send(content, replyTo);
    if (clientId !== null) {
      this.notifier.reset();
      if (this.room().jump !== null) this.history.leave();
    }
    return clientId;
  }

  /** Replace the text of one of our messages; null when there is nothing to save. */
  edit(messageId: string, content: string): string | null {
    return this.outgoing.edit(messageId, content);
  }

  delete(messageId: string): string | null {
    return this.outgoing.delete(messageId);
  }

  /** Add our reaction with this emoji, or take it back when we already reacted so. */
  toggleReaction(messageId: string, emoji: string): string | null {
    return this.outgoing.toggleReaction(messageId, emoji);
  }

  /** Send a failed message or action again with the same client_id: the server applies it at most once. */
  retry(clientId: string): void {
    this.outgoing.retry(clientId);
  }

  discard(clientId: string): void {
    this.outgoing.discard(clientId);
  }

  /** The composer's text changed: tells the others we type, or that we stopped. */
  input(text: string): void {
    this.notifier.input(text);
  }

  stopTyping(): void {
    this.notifier.stop();
  }

  /** The user asked to retry: a refused room is asked for again, a dropped socket reopened. */
  reconnectNow(): void {
    if (this.state === "refused") this.link.resubscribe(this.roomId);
    else this.link.reconnectNow();
  }

  /** The browser's online/offline events. */
  setNetwork(online: boolean): void {
    this.link.setNetwork(online);
  }

  /**
   * We have read the room up to `seq` (`mark_read`, which needs no subscription: a room just
   * left may still say so); the badge clears before the server confirms.
   */
  markRead(seq: number): boolean {
    if (!this.link.transmit({ type: "mark_read", data: { room_id: this.roomId, seq } })) return false;
    this.store.patchRoomSummary(this.roomId, (s) => readUpTo(s, seq));
    return true;
  }

  /** Older messages above those on screen. */
  loadOlder(): Promise<void> {
    return this.history.older();
  }

  /** Newer messages below a jump's window, until it meets the live messages. */
  loadNewer(): Promise<void> {
    return this.history.newer();
  }

  /** Show the room at the message `seq`, highlighted, however far back it is. */
  jumpTo(seq: number): Promise<void> {
    return this.history.jumpTo(seq);
  }

  /** Back from a jump to the newest messages. */
  showNewest(): void {
    this.history.leave();
  }

  /** The member list from the server; `member_changed` and `user_updated` keep it live after. */
  async loadMembers(): Promise<void> {
    try {
      const members = await this.fetchers.fetchMembers(this.roomId);
      this.update((r) => ({ ...r, members }));
    } catch {
      // offline or no longer a member: the status says so, the list stays as it was
    }
  }

  // --- driven by the connection ------------------------------------------------------------

  /** Where the next subscription starts (since_seq): null before the first one. */
  since(): number | null {
    return this.log.since();
  }

  subscribing(): void {
    this.state = "subscribing";
    this.setStatus({ kind: "connecting" });
  }

  subscribed(data: ConnectedData): void {
    const since = this.log.since();
    this.state = "live";
    this.generation++;
    const me = data.user;
    this.update((r) => ({
      ...r,
      status: { kind: "live" },
      me,
      online: data.online_users.reduce(addUser, [] as UserRef[]),
      notice: null,
    }));
    const states = this.log.connected(data);
    this.outgoing.settle(states, me.id);
    this.typing.clear();
    if (data.recovered === false) void this.catchUp(since ?? 0, this.generation);
    this.outgoing.resend();
    void this.loadMembers();
  }

  refused(error: string): void {
    this.end("refused");
    this.setStatus({ kind: "offline", reason: error === "not a participant" ? NOT_A_MEMBER : error });
  }

  /** The user left the room or lost it: nothing more comes for it, nothing can be sent. */
  removed(reason: RemovalReason): void {
    this.end("removed");
    this.update((r) => ({ ...r, removed: reason, status: { kind: "offline", reason: REMOVED[reason] } }));
  }

  /** The socket went away, and the subscription with it. */
  disconnected(): void {
    if (this.state !== "removed") this.end("idle");
  }

  /** While there is no subscription, the room says what the connection is doing. */
  connectionStatus(status: ConnectionStatus): void {
    // A live socket subscribes an idle room at once: it is connecting until `subscribed`.
    if (this.state === "idle") this.setStatus(status.kind === "live" ? { kind: "connecting" } : status);
  }

  /** The room leaves the screen: the others stop seeing us type; back there, it opens at the newest. */
  close(): void {
    this.notifier.stop();
    this.end(this.state === "removed" ? "removed" : "idle");
    this.history.leave();
    this.update((r) => (r.focus === null ? r : { ...r, focus: null }));
  }

  frame(frame: RoomServerFrame): void {
    if (!this.isLive) return; // an answer of an earlier subscription: the next `subscribed` covers it
    switch (frame.type) {
      case "new_message":
        this.onMessage(frame.data.message, null);
        break;
      case "message_sent":
        this.onMessage(frame.data.message, frame.data.client_id ?? frame.data.message.client_id);
        break;
      case "message_updated":
        if (frame.data.client_id) this.outgoing.confirmed(frame.data.client_id);
        this.log.updated(frame.data);
        this.outgoing.settle([], this.room().me?.id ?? ""); // done elsewhere too (another tab)
        break;
      case "message_error": {
        const { client_id, error, retryable } = frame.data;
        if (client_id) this.outgoing.fail(client_id, error, retryable);
        break;
      }
      case "rate_limit_exceeded": {
        const { client_id, rate_limit_info } = frame.data;
        // Actions have their own limit (ACTION_RATE_LIMIT): only a refused send holds the composer.
        if (client_id && this.outgoing.fail(client_id, "Rate limit exceeded", true) === "action") break;
        const until = this.clock.now() + Math.max(1, rate_limit_info.time_until_reset) * 1000;
        this.update((r) => ({ ...r, rateLimitedUntil: until }));
        break;
      }
      case "user_joined":
        this.update((r) => ({ ...r, online: addUser(r.online, userRef(frame.data)) }));
        break;
      case "user_left":
        this.typing.stop(frame.data.user_id);
        this.update((r) => ({ ...r, online: r.online.filter((u) => u.user_id !== frame.data.user_id) }));
        break;
      case "user_typing":
        if (frame.data.user_id !== this.room().me?.id) this.typing.start(userRef(frame.data));
        break;
      case "user_stopped_typing":
        this.typing.stop(frame.data.user_id);
        break;
      case "member_changed":
        this.update((r) => ({ ...r, members: withMemberChange(r.members, frame.data) }));
        if (frame.data.change === "added") void this.loadMembers(); // the frame has no display name
        break;
      case "user_updated":
        this.update((r) => ({ ...r, members: withProfile(r.members, frame.data.user) }));
        break;
      case "room_updated": // the room list carries the settings (the connection applies them)
      case "error":
        break;
    }
  }

  // --- internals ----------------------------------------------------------------------------

  /** More was missed than one `subscribed` frame carries: read the log over REST until its end. */
  private async catchUp(from: number, generation: number): Promise<void> {
    const done = await this.log.catchUp(
      from,
      (after) => this.fetchers.fetchEvents(this.roomId, after),
      () => generation === this.generation,
      (states) => this.outgoing.settle(states, this.room().me?.id ?? ""),
    );
    if (!done && generation === this.generation) {
      this.update((r) => ({ ...r, notice: "Could not load every missed message." }));
    }
  }

  private onMessage(message: Message, ownClientId: string | null): void {
    if (ownClientId) this.outgoing.confirmed(ownClientId);
    else this.outgoing.settle([message], this.room().me?.id ?? "");
    this.typing.stop(message.sender_id);
    this.log.message(message);
  }

  /** The subscription is over (for now): forget what lived with it. */
  private end(next: SubscriptionState): void {
    const wasLive = this.state === "live";
    this.state = next;
    this.generation++;
    this.outgoing.disconnected();
    this.log.disconnected();
    this.notifier.reset();
    this.typing.clear();
    // Presence is unknown until the next `subscribed` says who is there.
    if (wasLive) this.update((r) => (r.online.length === 0 ? r : { ...r, online: [] }));
  }

  private transmitFrame(frame: RoomClientFrame): boolean {
    return this.isLive && this.link.transmit(withRoomId(frame, this.roomId));
  }

  private room(): RoomState {
    return this.store.room(this.roomId);
  }

  private update(fn: (room: RoomState) => RoomState): void {
    this.store.updateRoom(this.roomId, fn);
  }

  private setStatus(status: ConnectionStatus): void {
    this.update((r) => (sameStatus(r.status, status) ? r : { ...r, status }));
  }
}

/** Who, without the frame's `room_id`. */
function userRef(data: UserRef): UserRef {
  return { user_id: data.user_id, username: data.username };
}

function sameStatus(a: ConnectionStatus, b: ConnectionStatus): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "reconnecting" && b.kind === "reconnecting") return a.at === b.at && a.attempt === b.attempt;
  if (a.kind === "offline" && b.kind === "offline") return a.reason === b.reason;
  return true;
}
