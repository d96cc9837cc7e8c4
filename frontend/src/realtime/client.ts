// One room's live connection (SPEC §4): connect, recover with since_seq after any drop,
// reconnect with backoff and jitter, hand each renewed access token to the server (`auth`),
// typing and presence. Messages and their updates go into the store through `RoomLog`;
// sends, edits, deletes and reactions wait for their answer in `Outgoing`. Components only
// read the store.
import { backoffDelay } from "./backoff";
import { systemClock, type Clock } from "./clock";
import { hasOlder } from "./history";
import {
  Close,
  decodeServerFrame,
  encodeClientFrame,
  type ClientFrame,
  type ConnectedData,
  type Message,
  type ServerFrame,
  type UserRef,
} from "./protocol";
import { DEFAULTS, type ResolvedOptions, type RoomClientOptions, type SocketLike } from "./options";
import { SocketCredentials } from "./credentials";
import { Outgoing, addUser } from "./outbox";
import { RoomLog } from "./roomlog";
import type { RoomState, Store } from "./store";
import { TypingNotifier, TypingTracker } from "./typing";
import { Watchdog } from "./watchdog";

export type { RoomClientOptions, SocketLike } from "./options";

export const HISTORY_PAGE = 50;

export class RoomClient {
  readonly roomId: string;
  private readonly opts: ResolvedOptions;
  private readonly store: Store;
  private readonly clock: Clock;
  private socket: SocketLike | null = null;
  private live = false;
  private stopped = true;
  private attempt = 0;
  private reconnectTimer: unknown = null;
  private readonly credentials: SocketCredentials;
  private unsubscribe: (() => void) | null = null;
  private readonly watchdog: Watchdog;
  private readonly outgoing: Outgoing;
  private readonly log: RoomLog;
  /** Bumped by every open and drop: a catch-up of an older connection stops. */
  private generation = 0;
  private readonly typing: TypingTracker;
  private readonly notifier: TypingNotifier;

  constructor(options: RoomClientOptions) {
    this.roomId = options.roomId;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.opts = { ...DEFAULTS, ...options, clock: this.clock };
    this.log = new RoomLog(this.store, this.roomId);
    this.outgoing = new Outgoing({
      clock: this.clock,
      ackTimeoutMs: this.opts.ackTimeoutMs,
      transmit: (frame) => this.transmitFrame(frame),
      room: () => this.room(),
      update: (fn) => this.update(fn),
    });
    this.watchdog = new Watchdog(
      this.clock,
      this.opts,
      () => this.transmitFrame({ type: "ping", data: {} }),
      (reason) => this.drop(reason),
    );
    this.typing = new TypingTracker(this.clock, (users) => this.update((r) => ({ ...r, typing: users })));
    this.notifier = new TypingNotifier(this.clock, (type) => this.transmitFrame({ type, data: {} }));
    this.credentials = new SocketCredentials(this.opts.getToken, this.opts.renewToken);
  }

  get isLive(): boolean {
    return this.live;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.unsubscribe = this.store.subscribe(() => this.handOverToken());
    this.open();
  }

  stop(): void {
    if (this.stopped) return;
    this.notifier.stop();
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.clearReconnect();
    const socket = this.socket;
    this.detach();
    socket?.close(Close.normal, "leaving room");
    this.typing.clear();
  }

  /** Queue a message (a reply when `replyTo` is given); sent now when live, else once reconnected. */
  send(content: string, replyTo: Message | null = null): string | null {
    const clientId = this.outgoing.send(content, replyTo);
    if (clientId !== null) this.notifier.reset();
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

  reconnectNow(): void {
    if (this.stopped || this.live) return;
    this.open();
  }

  /** The browser's online/offline events. */
  setNetwork(online: boolean): void {
    if (this.stopped || this.live) return;
    if (online) {
      this.attempt = 0;
      this.open();
    } else if (this.socket === null) {
      this.clearReconnect();
      this.setStatus({ kind: "offline", reason: "No network connection" });
    }
  }

  async loadOlder(): Promise<void> {
    const room = this.room();
    const first = room.messages[0];
    if (room.loadingOlder || first === undefined || !hasOlder(room.messages)) return;
    this.update((r) => ({ ...r, loadingOlder: true }));
    try {
      const page = await this.opts.fetchPage(this.roomId, { before: first.seq, limit: HISTORY_PAGE });
      this.log.older(page.messages);
    } catch {
      this.update((r) => ({ ...r, loadingOlder: false, notice: "Could not load older messages." }));
    }
  }

  // --- connection -------------------------------------------------------------------------

  private open(): void {
    this.clearReconnect();
    if (this.stopped) return;
    const token = this.opts.getToken();
    if (!token) {
      this.setStatus({ kind: "offline", reason: "Signed out" });
      this.opts.onAuthExpired("Log in to continue.");
      return;
    }
    if (!this.opts.isOnline()) {
      this.setStatus({ kind: "offline", reason: "No network connection" });
      return;
    }
    const since = this.log.since();
    this.generation++;
    this.setStatus({ kind: "connecting" });
    let socket: SocketLike;
    try {
      socket = this.opts.openSocket(this.opts.socketUrl(this.roomId, token, since));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.credentials.opened(token);
    socket.onmessage = (event) => {
      if (this.socket === socket) this.onText(String(event.data));
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.onClose(event.code, event.reason);
    };
    socket.onerror = () => undefined; // a close event always follows
    this.watchdog.opening();
  }

  private onText(text: string): void {
    this.watchdog.frame();
    const frame = decodeServerFrame(text);
    if (frame !== null) this.onFrame(frame);
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "connected":
        this.onConnected(frame.data);
        break;
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
        this.update((r) => ({ ...r, online: addUser(r.online, frame.data) }));
        break;
      case "user_left":
        this.typing.stop(frame.data.user_id);
        this.update((r) => ({ ...r, online: r.online.filter((u) => u.user_id !== frame.data.user_id) }));
        break;
      case "user_typing":
        if (frame.data.user_id !== this.room().me?.id) this.typing.start(frame.data);
        break;
      case "user_stopped_typing":
        this.typing.stop(frame.data.user_id);
        break;
      case "pong":
      case "error":
        break;
    }
  }

  private onConnected(data: ConnectedData): void {
    const since = this.log.since();
    this.live = true;
    this.attempt = 0;
    this.credentials.connected();
    this.handOverToken();
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
    this.watchdog.connected();
    if (data.recovered === false) void this.catchUp(since ?? 0, this.generation);
    this.outgoing.resend();
  }

  /** More was missed than one `connected` frame carries: read the log over REST until its end. */
  private async catchUp(from: number, generation: number): Promise<void> {
    const done = await this.log.catchUp(
      from,
      (after) => this.opts.fetchEvents(this.roomId, after),
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

  private onClose(code: number, reason: string): void {
    this.detach();
    if (this.stopped) return;
    if (code === Close.policy) {
      if (/token|logged out/i.test(reason)) {
        void this.reauthenticate();
      } else if (reason === "not a participant") {
        this.setStatus({ kind: "offline", reason: "You are not a member of this room" });
      } else {
        this.setStatus({ kind: "offline", reason: reason || "Refused by the server" });
      }
      return;
    }
    this.scheduleReconnect();
  }

  /** The access token was renewed: the open socket carries on with it, no reconnect. */
  private handOverToken(): void {
    const token = this.live ? this.credentials.pending() : null;
    if (token !== null && this.transmitFrame({ type: "auth", data: { token } })) this.credentials.handedOver(token);
  }

  private async reauthenticate(): Promise<void> {
    this.setStatus({ kind: "connecting" });
    const next = await this.credentials.refused();
    if (this.stopped) return;
    if (next === "reconnect") this.open();
    else if (next === "later") this.scheduleReconnect();
    else {
      this.setStatus({ kind: "offline", reason: "Session expired" });
      this.opts.onAuthExpired("Your session expired. Log in again: your draft is kept.");
    }
  }

  /** Forget the socket (its late events are ignored) and everything that lived with it. */
  private detach(): void {
    if (this.socket) {
      this.socket.onmessage = null;
      this.socket.onclose = null;
      this.socket.onerror = null;
    }
    this.socket = null;
    this.live = false;
    this.generation++;
    this.watchdog.stop();
    this.outgoing.disconnected();
    this.log.disconnected();
    this.notifier.reset();
    this.typing.clear();
    // Presence is unknown until the next `connected` says who is there.
    this.update((r) => (r.online.length === 0 ? r : { ...r, online: [] }));
  }

  private scheduleReconnect(): void {
    if (!this.opts.isOnline()) {
      this.setStatus({ kind: "offline", reason: "No network connection" });
      return;
    }
    const delay = backoffDelay(this.attempt, this.opts.random, this.opts.backoff);
    this.attempt++;
    this.setStatus({ kind: "reconnecting", at: this.clock.now() + delay, attempt: this.attempt });
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = null;
      this.open();
    }, delay);
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  /** The watchdog found the socket silent: treat it as dropped and reconnect. */
  private drop(reason: string): void {
    const socket = this.socket;
    this.onClose(Close.abnormal, reason);
    try {
      socket?.close(4000, reason);
    } catch {
      // already closed
    }
  }

  // --- store and socket ------------------------------------------------------------------

  private transmitFrame(frame: ClientFrame): boolean {
    if (!this.live || this.socket === null) return false;
    try {
      this.socket.send(encodeClientFrame(frame));
      return true;
    } catch {
      return false;
    }
  }

  private room(): RoomState {
    return this.store.room(this.roomId);
  }

  private update(fn: (room: RoomState) => RoomState): void {
    this.store.updateRoom(this.roomId, fn);
  }

  private setStatus(status: RoomState["status"]): void {
    this.update((r) => ({ ...r, status }));
  }
}
