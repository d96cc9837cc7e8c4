// The user's one live connection (SPEC §4b): a single socket for every room, whichever is on
// screen. It connects, reconnects with backoff and jitter, hands each renewed access token to
// the server (`auth`), watches for silence, keeps the sidebar's room list live (`ready`,
// `room_activity`, `read_marker`, `room_added`, `room_removed`, and `room_updated`,
// `member_changed`, `user_updated` of every room, watched or subscribed) and carries the subscriptions
// of the open rooms, each a `RoomClient`, re-subscribing each with its since_seq after a drop.
//
// Only the room on screen is subscribed: leaving it unsubscribes. The sidebar needs no
// subscription (`room_activity` covers every room), the room's messages stay in the store, and
// coming back costs one `subscribe` with since_seq that carries only what changed meanwhile;
// so the server fans out nobody's typing or presence to a room no one is looking at, and a
// user in hundreds of rooms never nears MAX_SUBSCRIPTIONS.
import { backoffDelay } from "./backoff";
import { systemClock, type Clock } from "./clock";
import { SocketCredentials } from "./credentials";
import { RoomClient, type RoomLink } from "./client";
import { DEFAULTS, type ResolvedOptions, type SocketLike, type UserConnectionOptions } from "./options";
import {
  Close,
  decodeServerFrame,
  encodeClientFrame,
  isRoomFrame,
  type ClientFrame,
  type RoomServerFrame,
  type RoomSummary,
  type ServerFrame,
  type UserServerFrame,
} from "./protocol";
import { withActivity, withMyRole, withReadMarker, withSettings } from "./roomlist";
import type { ConnectionStatus, Store } from "./store";
import { Watchdog } from "./watchdog";

export class UserConnection implements RoomLink {
  private readonly opts: ResolvedOptions;
  private readonly store: Store;
  private readonly clock: Clock;
  private socket: SocketLike | null = null;
  /** `ready` arrived on the current socket. */
  private live = false;
  private stopped = true;
  private attempt = 0;
  private reconnectTimer: unknown = null;
  private readonly credentials: SocketCredentials;
  private unsubscribeStore: (() => void) | null = null;
  private readonly watchdog: Watchdog;
  private readonly rooms = new Map<string, RoomClient>();
  /** How many `openRoom`s of each room are not closed yet (the screen, the outbox's delivery). */
  private readonly holds = new Map<string, number>();
  /**
   * Per room, the `subscribe`s sent on this socket and not answered yet. The server answers a
   * socket's frames in order, so an answer with another subscribe still behind it belongs to
   * a subscription that was already given up (subscribe, unsubscribe, subscribe).
   */
  private readonly awaiting = new Map<string, number>();
  private status: ConnectionStatus = { kind: "connecting" };
  /** Who we are, as the last `ready` said. */
  private me: string | null = null;

  constructor(options: UserConnectionOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.opts = { ...DEFAULTS, ...options, clock: this.clock };
    this.watchdog = new Watchdog(
      this.clock,
      this.opts,
      () => this.transmit({ type: "ping", data: {} }),
      (reason) => this.drop(reason),
    );
    this.credentials = new SocketCredentials(this.opts.getToken, this.opts.renewToken);
  }

  get isLive(): boolean {
    return this.live;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.unsubscribeStore = this.store.subscribe(() => this.handOverToken());
    this.open();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribeStore?.();
    this.unsubscribeStore = null;
    this.clearReconnect();
    for (const client of this.rooms.values()) client.close();
    const socket = this.socket;
    this.detach();
    socket?.close(Close.normal, "leaving");
  }

  /**
   * The room on screen (or with messages to send): subscribed now when the socket is ready, else
   * as soon as it is. Every `openRoom` is matched by a `closeRoom`; the room stays subscribed
   * until the last holder lets it go.
   */
  openRoom(roomId: string): RoomClient {
    this.holds.set(roomId, (this.holds.get(roomId) ?? 0) + 1);
    const existing = this.rooms.get(roomId);
    if (existing !== undefined) return existing;
    const client = new RoomClient({
      store: this.store,
      roomId,
      link: this,
      clock: this.clock,
      ackTimeoutMs: this.opts.ackTimeoutMs,
      fetchPage: this.opts.fetchPage,
      fetchEvents: this.opts.fetchEvents,
      fetchMembers: this.opts.fetchMembers,
    });
    this.rooms.set(roomId, client);
    if (this.live) this.subscribe(client);
    else client.connectionStatus(this.status);
    return client;
  }

  /** The room left the screen: unsubscribed once nobody holds it (see the top of this file for why). */
  closeRoom(client: RoomClient): void {
    if (this.rooms.get(client.roomId) !== client) return;
    const holds = (this.holds.get(client.roomId) ?? 1) - 1;
    if (holds > 0) {
      this.holds.set(client.roomId, holds);
      return;
    }
    this.holds.delete(client.roomId);
    const subscribed = client.subscription === "live" || client.subscription === "subscribing";
    client.close();
    this.rooms.delete(client.roomId);
    if (subscribed) this.transmit({ type: "unsubscribe", data: { room_id: client.roomId } });
  }

  reconnectNow(): void {
    if (this.stopped || this.socket !== null) return;
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

  resubscribe(roomId: string): void {
    const client = this.rooms.get(roomId);
    if (client !== undefined && this.live && client.subscription === "refused") this.subscribe(client);
  }

  transmit(frame: ClientFrame): boolean {
    if (!this.live || this.socket === null) return false;
    try {
      this.socket.send(encodeClientFrame(frame));
      return true;
    } catch {
      return false;
    }
  }

  // --- the socket ---------------------------------------------------------------------------

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
    this.setStatus({ kind: "connecting" });
    let socket: SocketLike;
    try {
      socket = this.opts.openSocket(this.opts.socketUrl(token));
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
    if (isRoomFrame(frame)) {
      this.rooms.get(frame.data.room_id)?.frame(frame);
      this.onRoomNotice(frame);
      return;
    }
    this.onUserFrame(frame);
  }

  /** What the sidebar learns of a room's frames: they come for watched rooms too (SPEC §4b). */
  private onRoomNotice(frame: RoomServerFrame): void {
    const roomId = frame.data.room_id;
    switch (frame.type) {
      case "room_updated": {
        const settings = frame.data.room;
        this.store.patchRoomSummary(roomId, (room) => withSettings(room, settings));
        break;
      }
      case "member_changed": {
        const change = frame.data;
        const me = this.me;
        if (me !== null) this.store.patchRoomSummary(roomId, (room) => withMyRole(room, change, me));
        break;
      }
      case "user_updated":
        this.store.updateUser(frame.data.user);
        if (this.me !== null) this.store.learnDmPeer(roomId, frame.data.user, this.me);
        break;
      default:
        break;
    }
  }

  private onUserFrame(frame: UserServerFrame): void {
    switch (frame.type) {
      case "ready":
        this.me = frame.data.user.id;
        this.store.updateUser(frame.data.user); // renamed on another device while we were away
        this.onReady(frame.data.rooms);
        break;
      case "subscribed": {
        const client = this.answered(frame.data.room_id);
        client?.subscribed(frame.data);
        break;
      }
      case "subscribe_error": {
        const client = this.answered(frame.data.room_id);
        if (client === undefined) break;
        if (frame.data.error === "already subscribed") {
          // The server kept a subscription we gave up: start it over, snapshot included.
          this.transmit({ type: "unsubscribe", data: { room_id: client.roomId } });
          this.subscribe(client);
        } else {
          client.refused(frame.data.error);
        }
        break;
      }
      case "room_activity": {
        const before = this.summary(frame.data.room_id);
        if (before === undefined) break;
        const after = withActivity(before, frame.data);
        this.store.patchRoomSummary(before.id, () => after);
        this.opts.onActivity(before, after);
        break;
      }
      case "read_marker":
        this.store.patchRoomSummary(frame.data.room_id, (room) => withReadMarker(room, frame.data));
        break;
      case "room_added":
        this.store.upsertRoom(frame.data.room);
        this.resubscribe(frame.data.room.id);
        break;
      case "room_removed":
        this.store.removeRoom(frame.data.room_id);
        this.rooms.get(frame.data.room_id)?.removed(frame.data.reason);
        break;
      case "unsubscribed":
      case "pong":
      case "error":
        break;
    }
  }

  private onReady(rooms: RoomSummary[]): void {
    this.live = true;
    this.attempt = 0;
    this.credentials.connected();
    this.watchdog.connected();
    this.setStatus({ kind: "live" });
    this.store.setRooms(rooms);
    this.handOverToken();
    for (const client of this.rooms.values()) if (client.subscription !== "removed") this.subscribe(client);
  }

  private subscribe(client: RoomClient): void {
    const since = client.since();
    const data: { room_id: string; since_seq?: number } = { room_id: client.roomId };
    if (since !== null) data.since_seq = since;
    if (!this.transmit({ type: "subscribe", data })) return;
    this.awaiting.set(client.roomId, (this.awaiting.get(client.roomId) ?? 0) + 1);
    client.subscribing();
  }

  /** The open room a subscribe answer is for, or undefined when the answer is an outdated one. */
  private answered(roomId: string): RoomClient | undefined {
    const left = (this.awaiting.get(roomId) ?? 0) - 1;
    if (left > 0) this.awaiting.set(roomId, left);
    else this.awaiting.delete(roomId);
    const client = this.rooms.get(roomId);
    return left <= 0 && client?.subscription === "subscribing" ? client : undefined;
  }

  private summary(roomId: string): RoomSummary | undefined {
    return this.store.getState().rooms.find((room) => room.id === roomId);
  }

  private onClose(code: number, reason: string): void {
    this.detach();
    if (this.stopped) return;
    if (code === Close.policy) {
      if (/token|logged out/i.test(reason)) void this.reauthenticate();
      else this.setStatus({ kind: "offline", reason: reason || "Refused by the server" });
      return;
    }
    this.scheduleReconnect();
  }

  /** The access token was renewed: the open socket carries on with it, no reconnect. */
  private handOverToken(): void {
    const token = this.live ? this.credentials.pending() : null;
    if (token !== null && this.transmit({ type: "auth", data: { token } })) this.credentials.handedOver(token);
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

  /** Forget the socket (its late events are ignored) and every subscription it carried. */
  private detach(): void {
    if (this.socket) {
      this.socket.onmessage = null;
      this.socket.onclose = null;
      this.socket.onerror = null;
    }
    this.socket = null;
    this.live = false;
    this.awaiting.clear();
    this.watchdog.stop();
    for (const client of this.rooms.values()) client.disconnected();
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

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    for (const client of this.rooms.values()) client.connectionStatus(status);
  }
}
