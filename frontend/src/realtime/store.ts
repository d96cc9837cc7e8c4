// The one store of the app: session, room list, each open room's live state, drafts.
// Immutable snapshots, so React reads it with useSyncExternalStore.
import type { Member } from "./api";
import type { Message, RemovalReason, ReplyRef, RoomInfo, RoomSummary, UserInfo, UserRef } from "./protocol";
import { EMPTY_SEARCH, type SearchState } from "./search";

export type { RoomSummary } from "./protocol";
export type User = UserInfo;

export type Room = RoomInfo;

export interface Session {
  token: string;
  expiresAt: number;
  /** When the access token is renewed with the refresh token, before it expires. */
  renewAt: number;
  refreshToken: string;
  user: User;
}

export type SessionTokens = Omit<Session, "user">;

export type ConnectionStatus =
  | { kind: "connecting" }
  | { kind: "live" }
  | { kind: "reconnecting"; at: number; attempt: number }
  | { kind: "offline"; reason: string };

export interface OutgoingMessage {
  client_id: string;
  content: string;
  /** The message answered, as the reply will quote it. */
  reply_to: ReplyRef | null;
  state: "pending" | "failed";
  error: string | null;
  retryable: boolean;
  created_at: number;
}

/** What an action asks of the server, named as its frame (SPEC §4). */
export type ActionIntent =
  | { type: "edit_message"; message_id: string; content: string }
  | { type: "delete_message"; message_id: string }
  | { type: "add_reaction" | "remove_reaction"; message_id: string; emoji: string };

/** An edit, delete or reaction on its way out: pending until the server answers, else failed. */
export type PendingAction = ActionIntent & {
  client_id: string;
  state: "pending" | "failed";
  error: string | null;
  retryable: boolean;
  created_at: number;
};

/**
 * History around a message far from the live end (a search result, a reply's original): a run
 * of its own, read over REST both ways, shown instead of the live messages until the two meet
 * (then it joins them) or the reader goes back to the newest. The live run stays live meanwhile.
 */
export interface JumpWindow {
  /** Tells a window from the one that replaced it, for answers to an older one's requests. */
  id: number;
  messages: Message[];
  loadingOlder: boolean;
  loadingNewer: boolean;
  /** Nothing newer to read for now: no live run yet to meet (not subscribed). */
  atEnd: boolean;
}

export interface RoomState {
  status: ConnectionStatus;
  me: { id: string; username: string } | null;
  /** The live run: the newest messages, and as far back as was read. */
  messages: Message[];
  jump: JumpWindow | null;
  /** The message to bring into view and highlight; a new `nonce` for each time it is asked. */
  focus: { seq: number; nonce: number } | null;
  outbox: OutgoingMessage[];
  actions: PendingAction[];
  /**
   * The room's event log is applied up to here without a gap (messages and their updates,
   * SPEC §4a): the next connection's since_seq. Null until the first `connected`.
   */
  lastSeq: number | null;
  online: UserRef[];
  typing: UserRef[];
  rateLimitedUntil: number | null;
  loadingOlder: boolean;
  notice: string | null;
  /** The room's members as last loaded, kept live by `member_changed` and `user_updated`. */
  members: Member[];
  /** Set when the user left or lost the room (`room_removed`): it is no longer theirs. */
  removed: RemovalReason | null;
}

export interface AppState {
  session: Session | null;
  notice: string | null;
  rooms: RoomSummary[];
  roomsLoaded: boolean;
  roomStates: Readonly<Record<string, RoomState>>;
  drafts: Readonly<Record<string, string>>;
  /** The other person of each direct-message room, by room id: DMs are named after them. */
  dmPeers: Readonly<Record<string, User>>;
  /** Why the room that was on screen went away (removed, deleted, left), until dismissed. */
  roomNotice: string | null;
  /** The message search panel: what is asked, and what came back (search.ts). */
  search: SearchState;
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const SESSION_KEY = "roomcast.session";
const DRAFTS_KEY = "roomcast.drafts";

interface SavedDrafts {
  owner: string;
  drafts: Record<string, string>;
}

export const EMPTY_ROOM: RoomState = Object.freeze({
  status: { kind: "connecting" },
  me: null,
  messages: [],
  jump: null,
  focus: null,
  outbox: [],
  actions: [],
  lastSeq: null,
  online: [],
  typing: [],
  rateLimitedUntil: null,
  loadingOlder: false,
  notice: null,
  members: [],
  removed: null,
}) as RoomState;

type Listener = () => void;

export class Store {
  private state: AppState;
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly storage: KeyValueStorage | null = null,
    private readonly now: () => number = Date.now,
  ) {
    this.state = {
      session: this.loadSession(),
      notice: null,
      rooms: [],
      roomsLoaded: false,
      roomStates: {},
      drafts: {},
      dmPeers: {},
      roomNotice: null,
      search: EMPTY_SEARCH,
    };
    const saved = this.loadJson<SavedDrafts>(DRAFTS_KEY);
    if (saved && this.state.session?.user.id === saved.owner) {
      this.state.drafts = saved.drafts;
      this.draftsOwner = saved.owner;
    }
  }

  /** Whose drafts these are: after an expiry, someone else may log in on this browser. */
  private draftsOwner: string | null = null;

  getState = (): AppState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  room(roomId: string): RoomState {
    return this.state.roomStates[roomId] ?? EMPTY_ROOM;
  }

  updateRoom(roomId: string, update: (room: RoomState) => RoomState): void {
    const before = this.room(roomId);
    const after = update(before);
    if (after === before) return;
    this.set({ roomStates: { ...this.state.roomStates, [roomId]: after } });
  }

  forgetRoom(roomId: string): void {
    if (!(roomId in this.state.roomStates)) return;
    const { [roomId]: _removed, ...rest } = this.state.roomStates;
    this.set({ roomStates: rest });
  }

  signIn(session: Session): void {
    this.save(SESSION_KEY, session);
    let drafts = this.state.drafts;
    if (this.draftsOwner !== session.user.id) {
      const saved = this.loadJson<SavedDrafts>(DRAFTS_KEY);
      drafts = saved?.owner === session.user.id ? saved.drafts : {};
    }
    this.draftsOwner = session.user.id;
    this.set({ session, notice: null, drafts });
  }

  /** New tokens of the same session (renewed here, or by another tab). */
  renewSession(tokens: SessionTokens): void {
    const session = this.state.session;
    if (session === null) return;
    const next: Session = { ...tokens, user: session.user };
    this.save(SESSION_KEY, next);
    this.set({ session: next });
  }

  /** The session as saved for every tab; undefined without storage (nothing is shared). */
  storedSession(): Session | null | undefined {
    if (this.storage === null) return undefined;
    return this.loadJson<Session>(SESSION_KEY);
  }

  /** Another tab changed the saved session: take its newer tokens of the same session. */
  adoptStoredSession(): void {
    const stored = this.storedSession();
    const session = this.state.session;
    if (!stored || session === null || !isSession(stored) || stored.user.id !== session.user.id) return;
    if (stored.token === session.token) return;
    this.set({ session: { ...stored, user: session.user } });
  }

  /** Log out on purpose: everything of this user goes, drafts too. */
  signOut(): void {
    this.storage?.removeItem(SESSION_KEY);
    this.storage?.removeItem(DRAFTS_KEY);
    this.draftsOwner = null;
    this.set({
      session: null,
      notice: null,
      rooms: [],
      roomsLoaded: false,
      roomStates: {},
      drafts: {},
      dmPeers: {},
      roomNotice: null,
      search: EMPTY_SEARCH,
    });
  }

  /** The token expired or was refused: back to login, but drafts stay for when the user returns. */
  expireSession(notice: string): void {
    if (this.state.session === null) return;
    this.storage?.removeItem(SESSION_KEY);
    this.set({ session: null, notice, roomStates: {}, search: EMPTY_SEARCH });
  }

  updateSearch(update: (search: SearchState) => SearchState): void {
    const search = update(this.state.search);
    if (search !== this.state.search) this.set({ search });
  }

  setNotice(notice: string | null): void {
    this.set({ notice });
  }

  setRooms(rooms: RoomSummary[]): void {
    this.set({ rooms, roomsLoaded: true });
  }

  /** A room the user now has (`room_added`), or its newer listing. */
  upsertRoom(room: RoomSummary): void {
    const rooms = this.state.rooms;
    const at = rooms.findIndex((r) => r.id === room.id);
    this.set({ rooms: at < 0 ? [...rooms, room] : rooms.map((r, i) => (i === at ? room : r)) });
  }

  removeRoom(roomId: string): void {
    const rooms = this.state.rooms.filter((r) => r.id !== roomId);
    if (rooms.length !== this.state.rooms.length) this.set({ rooms });
  }

  setDmPeer(roomId: string, peer: User): void {
    if (this.state.dmPeers[roomId] === peer) return;
    this.set({ dmPeers: { ...this.state.dmPeers, [roomId]: peer } });
  }

  /** A user's new profile (`user_updated`): the names shown for them follow, ours included. */
  updateUser(user: User): void {
    let dmPeers = this.state.dmPeers;
    for (const [roomId, peer] of Object.entries(dmPeers)) {
      if (peer.id === user.id) dmPeers = { ...dmPeers, [roomId]: user };
    }
    const session = this.state.session;
    const mine = session !== null && session.user.id === user.id && session.user.display_name !== user.display_name;
    if (dmPeers === this.state.dmPeers && !mine) return;
    if (mine) {
      const next = { ...session, user };
      this.save(SESSION_KEY, next);
      this.set({ dmPeers, session: next });
    } else {
      this.set({ dmPeers });
    }
  }

  /**
   * Someone's profile arrived for a DM whose other person is not known yet (`user_updated` of
   * a room we only watch): unless it is ours, they are that person, and name the DM.
   */
  learnDmPeer(roomId: string, user: User, myId: string): void {
    if (user.id === myId || roomId in this.state.dmPeers) return;
    if (this.state.rooms.find((r) => r.id === roomId)?.kind !== "dm") return;
    this.setDmPeer(roomId, user);
  }

  setRoomNotice(roomNotice: string | null): void {
    if (this.state.roomNotice !== roomNotice) this.set({ roomNotice });
  }

  patchRoomSummary(roomId: string, patch: (room: RoomSummary) => RoomSummary): void {
    let changed = false;
    const rooms = this.state.rooms.map((room) => {
      if (room.id !== roomId) return room;
      const next = patch(room);
      changed ||= next !== room;
      return next;
    });
    if (changed) this.set({ rooms });
  }

  setDraft(roomId: string, text: string): void {
    if ((this.state.drafts[roomId] ?? "") === text) return;
    const drafts = { ...this.state.drafts };
    if (text === "") delete drafts[roomId];
    else drafts[roomId] = text;
    const owner = this.state.session?.user.id ?? this.draftsOwner;
    if (owner !== null) this.save(DRAFTS_KEY, { owner, drafts } satisfies SavedDrafts);
    this.draftsOwner = owner;
    this.set({ drafts });
  }

  private set(patch: Partial<AppState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of [...this.listeners]) listener();
  }

  private loadSession(): Session | null {
    const session = this.loadJson<unknown>(SESSION_KEY);
    // With a refresh token, an expired access token is renewed; the server says when the session ended.
    if (!session || !isSession(session) || (!session.refreshToken && session.expiresAt <= this.now())) {
      this.storage?.removeItem(SESSION_KEY);
      return null;
    }
    // Sessions saved before refresh tokens existed have neither field.
    const renewAt = typeof session.renewAt === "number" ? session.renewAt : session.expiresAt;
    return { ...session, renewAt, refreshToken: session.refreshToken ?? "" };
  }

  private loadJson<T>(key: string): T | null {
    try {
      const text = this.storage?.getItem(key);
      return text ? (JSON.parse(text) as T) : null;
    } catch {
      return null;
    }
  }

  private save(key: string, value: unknown): void {
    try {
      this.storage?.setItem(key, JSON.stringify(value));
    } catch {
      // Storage full or disabled (private mode): the app still works for this tab.
    }
  }
}

function isSession(value: unknown): value is Session {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<Session>;
  return (
    typeof v.token === "string" &&
    typeof v.expiresAt === "number" &&
    (v.refreshToken === undefined || typeof v.refreshToken === "string") &&
    typeof v.user === "object" &&
    v.user !== null &&
    typeof v.user.id === "string"
  );
}
