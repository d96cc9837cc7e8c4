// One room's live connection (SPEC §4): connect, recover with since_seq after any drop,
// reconnect with backoff and jitter, track sends from pending to sent or failed, typing
// and presence, hand each renewed access token to the server (`auth`). Everything it learns
// goes into the store; components only read the store.
import type { MessagePage } from "./api";
import { backoffDelay } from "./backoff";
import { systemClock, type Clock } from "./clock";
import { contiguousHighSeq, hasOlder, mergeBySeq } from "./history";
import {
  Close,
  decodeServerFrame,
  encodeClientFrame,
  isSendable,
  newClientId,
  type ClientFrame,
  type Message,
  type ServerFrame,
  type UserRef,
} from "./protocol";
import { DEFAULTS, type ResolvedOptions, type RoomClientOptions, type SocketLike } from "./options";
import { SocketCredentials } from "./credentials";
import { AckTimers, addUser, withoutDelivered } from "./outbox";
import type { OutgoingMessage, RoomState, Store } from "./store";
import { TypingNotifier, TypingTracker } from "./typing";
import { Watchdog } from "./watchdog";

export type { RoomClientOptions, SocketLike } from "./options";

export const HISTORY_PAGE = 50;
const CATCH_UP_PAGE = 200;

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
  private readonly acks: AckTimers;
  private readonly typing: TypingTracker;
  private readonly notifier: TypingNotifier;

  constructor(options: RoomClientOptions) {
    this.roomId = options.roomId;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.opts = { ...DEFAULTS, ...options, clock: this.clock };
    this.acks = new AckTimers(this.clock, this.opts.ackTimeoutMs);
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

  /** Queue a message; it is sent now when live, else as soon as the connection is back. */
  send(content: string): string | null {
    if (!isSendable(content)) return null;
    const entry: OutgoingMessage = {
      client_id: newClientId(),
      content,
      state: "pending",
      error: null,
      retryable: true,
      created_at: this.clock.now(),
    };
    this.update((r) => ({ ...r, outbox: [...r.outbox, entry] }));
    this.notifier.reset();
    this.transmit(entry);
    return entry.client_id;
  }

  /** Send a failed message again with the same client_id: the server stores it at most once. */
  retry(clientId: string): void {
    const entry = this.room().outbox.find((m) => m.client_id === clientId);
    if (!entry || entry.state !== "failed") return;
    const pending: OutgoingMessage = { ...entry, state: "pending", error: null };
    this.patchOutbox(clientId, () => pending);
    this.transmit(pending);
  }

  discard(clientId: string): void {
    this.acks.clear(clientId);
    this.update((r) => ({ ...r, outbox: r.outbox.filter((m) => m.client_id !== clientId) }));
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
      this.update((r) => ({ ...r, messages: mergeBySeq(r.messages, page.messages), loadingOlder: false }));
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
    const since = contiguousHighSeq(this.room().messages);
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
      case "message_error": {
        const { client_id, error, retryable } = frame.data;
        if (client_id) this.fail(client_id, error, retryable);
        break;
      }
      case "rate_limit_exceeded": {
        const { client_id, rate_limit_info } = frame.data;
        const until = this.clock.now() + Math.max(1, rate_limit_info.time_until_reset) * 1000;
        this.update((r) => ({ ...r, rateLimitedUntil: until }));
        if (client_id) this.fail(client_id, "Rate limit exceeded", true);
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

  private onConnected(data: Extract<ServerFrame, { type: "connected" }>["data"]): void {
    this.live = true;
    this.attempt = 0;
    this.credentials.connected();
    this.handOverToken();
    const me = data.user;
    this.update((r) => {
      const messages = mergeBySeq(r.messages, data.recent_messages);
      return {
        ...r,
        status: { kind: "live" },
        me,
        online: data.online_users.reduce(addUser, [] as UserRef[]),
        messages,
        outbox: withoutDelivered(r.outbox, data.recent_messages, me.id),
        notice: null,
      };
    });
    this.typing.clear();
    this.touchSummary(this.room().messages);
    this.watchdog.connected();
    if (data.recovered === false) void this.catchUp();
    for (const entry of this.room().outbox) {
      if (entry.state === "pending") this.transmit(entry);
    }
  }

  /** More was missed than one `connected` frame carries: read the rest over REST, oldest first. */
  private async catchUp(): Promise<void> {
    for (let guard = 0; guard < 1000 && this.live; guard++) {
      const after = contiguousHighSeq(this.room().messages) ?? 0;
      let page: MessagePage;
      try {
        page = await this.opts.fetchPage(this.roomId, { after, limit: CATCH_UP_PAGE });
      } catch {
        return;
      }
      const me = this.room().me?.id ?? "";
      this.update((r) => ({
        ...r,
        messages: mergeBySeq(r.messages, page.messages),
        outbox: withoutDelivered(r.outbox, page.messages, me),
      }));
      if (!page.has_more || page.messages.length === 0) break;
    }
    this.touchSummary(this.room().messages);
  }

  private onMessage(message: Message, ownClientId: string | null): void {
    if (ownClientId) this.acks.clear(ownClientId);
    this.typing.stop(message.sender_id);
    this.update((r) => {
      const messages = mergeBySeq(r.messages, [message]);
      const outbox = ownClientId
        ? r.outbox.filter((m) => m.client_id !== ownClientId)
        : withoutDelivered(r.outbox, [message], r.me?.id ?? "");
      return messages === r.messages && outbox.length === r.outbox.length ? r : { ...r, messages, outbox };
    });
    this.touchSummary([message]);
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
    this.watchdog.stop();
    this.acks.clearAll();
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

  // --- sending ----------------------------------------------------------------------------

  private transmit(entry: OutgoingMessage): void {
    if (!this.live) return; // stays pending; sent again on `connected`
    const sent = this.transmitFrame({
      type: "send_message",
      data: { content: entry.content, client_id: entry.client_id },
    });
    if (sent) this.acks.arm(entry.client_id, () => this.fail(entry.client_id, "No answer from the server", true));
  }

  private transmitFrame(frame: ClientFrame): boolean {
    if (!this.live || this.socket === null) return false;
    try {
      this.socket.send(encodeClientFrame(frame));
      return true;
    } catch {
      return false;
    }
  }

  private fail(clientId: string, error: string, retryable: boolean): void {
    this.acks.clear(clientId);
    this.patchOutbox(clientId, (m) => ({ ...m, state: "failed", error, retryable }));
  }

  // --- store ------------------------------------------------------------------------------

  private room(): RoomState {
    return this.store.room(this.roomId);
  }

  private update(fn: (room: RoomState) => RoomState): void {
    this.store.updateRoom(this.roomId, fn);
  }

  private setStatus(status: RoomState["status"]): void {
    this.update((r) => ({ ...r, status }));
  }

  private patchOutbox(clientId: string, fn: (m: OutgoingMessage) => OutgoingMessage): void {
    this.update((r) => {
      if (!r.outbox.some((m) => m.client_id === clientId)) return r;
      return { ...r, outbox: r.outbox.map((m) => (m.client_id === clientId ? fn(m) : m)) };
    });
  }

  private touchSummary(messages: readonly Message[]): void {
    const last = messages[messages.length - 1];
    if (last === undefined) return;
    this.store.patchRoomSummary(this.roomId, (s) =>
      s.last_seq > last.seq && s.last_message !== null
        ? s
        : { ...s, last_message: last, last_seq: Math.max(s.last_seq, last.seq) },
    );
  }
}
