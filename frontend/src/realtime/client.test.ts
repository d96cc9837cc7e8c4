import { describe, expect, it, vi } from "vitest";
import { backoffDelay } from "./backoff";
import { ME, flush, newMessageEvent, seqs, setup, listing } from "./harness";
import { message } from "./testing";

const BOB = { user_id: "u-bob", username: "bob" };

describe("connecting", () => {
  it("goes from connecting to live, loading recent history and who is online", () => {
    const t = setup();
    t.start();
    expect(t.room().status).toEqual({ kind: "connecting" });
    expect(t.since()).toBeNull();
    t.connect([message(1), message(2)]);
    expect(t.room().status).toEqual({ kind: "live" });
    expect(seqs(t.room().messages)).toEqual([1, 2]);
    expect(t.room().online.map((u) => u.username)).toEqual(["me"]);
    expect(t.client.isLive).toBe(true);
  });

  it("tracks presence from user_joined and user_left, once per user", () => {
    const t = setup();
    t.start();
    t.connect();
    t.receive("user_joined", BOB);
    t.receive("user_joined", BOB);
    expect(t.room().online.map((u) => u.username)).toEqual(["me", "bob"]);
    t.receive("user_left", BOB);
    expect(t.room().online.map((u) => u.username)).toEqual(["me"]);
  });

  it("gives up waiting for `connected` after the connect timeout and retries", () => {
    const t = setup();
    t.start();
    t.clock.advance(10_000);
    expect(t.room().status.kind).toBe("reconnecting");
    expect(t.sockets[0]?.closed).not.toBeNull();
  });
});

describe("reconnect with backoff", () => {
  it("waits longer after each failed attempt, with jitter, and resets once connected", () => {
    const t = setup();
    t.start();
    t.connect([message(1)]);
    const delays: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      t.last().serverClose(1006);
      const status = t.room().status;
      if (status.kind !== "reconnecting") throw new Error(`expected reconnecting, got ${status.kind}`);
      delays.push(status.at - t.clock.now());
      const opened = t.sockets.length;
      t.clock.advance(status.at - t.clock.now() - 1);
      expect(t.sockets.length).toBe(opened);
      t.clock.advance(1);
      expect(t.sockets.length).toBe(opened + 1);
    }
    expect(delays).toEqual([0, 1, 2, 3].map((a) => backoffDelay(a, () => 0.5)));
    expect(delays[3]).toBeGreaterThan(delays[0] ?? Infinity);

    t.connect([]);
    t.last().serverClose(1001);
    const status = t.room().status;
    expect(status.kind === "reconnecting" && status.at - t.clock.now()).toBe(backoffDelay(0, () => 0.5));
  });

  it("reconnects for 1001, 1011, 1013 and drops, but not for 1008", () => {
    for (const code of [1001, 1006, 1011, 1013]) {
      const t = setup();
      t.start();
      t.connect();
      t.last().serverClose(code);
      expect(t.room().status.kind).toBe("reconnecting");
    }
    const t = setup();
    t.start();
    t.connect();
    t.last().serverClose(1008, "too many connections");
    expect(t.room().status).toEqual({ kind: "offline", reason: "too many connections" });
    t.clock.advance(120_000);
    expect(t.sockets).toHaveLength(1);
  });

  it("a room the user is not in is refused on its own, the socket stays", () => {
    const t = setup();
    t.start();
    t.ready();
    t.last().receive("subscribe_error", { room_id: "room-1", error: "not a participant" });
    expect(t.room().status).toEqual({ kind: "offline", reason: "You are not a member of this room" });
    expect(t.client.isLive).toBe(false);
    t.clock.advance(20_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.subscribes()).toHaveLength(1);
    // joined (room_added, or the user's own retry): asked for again, on the same socket
    t.last().receive("room_added", { room: listing("room-1") });
    expect(t.subscribes()).toHaveLength(2);
    t.connect([message(1)]);
    expect(t.room().status).toEqual({ kind: "live" });
  });

  it("sends the user back to login on 1008 token expired when the session cannot be renewed", async () => {
    const t = setup();
    t.start();
    t.connect();
    t.last().serverClose(1008, "token expired");
    await flush();
    expect(t.onAuthExpired).toHaveBeenCalledOnce();
    t.clock.advance(120_000);
    expect(t.sockets).toHaveLength(1);
  });

  it("hands each renewed access token to the open socket with an auth frame", () => {
    const t = setup();
    t.start();
    t.connect();
    expect(t.last().sentOf("auth")).toEqual([]);
    t.setToken("tok-2");
    t.store.setNotice("something else changed"); // no second frame for the same token
    t.setToken("tok-3");
    expect(t.last().sentOf("auth")).toEqual([{ token: "tok-2" }, { token: "tok-3" }]);
    expect(t.sockets).toHaveLength(1);
  });

  it("a token renewed while disconnected is used by the next socket, not sent as auth", () => {
    const t = setup();
    t.start();
    t.connect();
    t.last().serverClose(1006);
    t.setToken("tok-2");
    t.clock.advance(60_000);
    expect(new URL(t.last().url).searchParams.get("token")).toBe("tok-2");
    t.connect();
    expect(t.last().sentOf("auth")).toEqual([]);
  });

  it("on 1008 token expired or logged out, renews once and reconnects with the new token", async () => {
    for (const reason of ["token expired", "invalid token", "logged out"]) {
      const t = setup({ renewToken: async () => "tok-2" });
      t.start();
      t.connect();
      t.last().serverClose(1008, reason);
      await flush();
      expect(t.renewToken).toHaveBeenCalledOnce();
      expect(t.sockets).toHaveLength(2);
      expect(new URL(t.last().url).searchParams.get("token")).toBe("tok-2");
      expect(t.onAuthExpired).not.toHaveBeenCalled();
      // The renewed token refused before any `connected`: the session is over.
      t.last().serverClose(1008, reason);
      await flush();
      expect(t.renewToken).toHaveBeenCalledOnce();
      expect(t.onAuthExpired).toHaveBeenCalledOnce();
    }
  });

  it("retries later when renewal cannot reach the server", async () => {
    const t = setup({
      renewToken: async () => {
        throw new Error("offline");
      },
    });
    t.start();
    t.connect();
    t.last().serverClose(1008, "token expired");
    await flush();
    expect(t.room().status.kind).toBe("reconnecting");
    expect(t.onAuthExpired).not.toHaveBeenCalled();
  });

  it("does not retry while the browser is offline, and reconnects at once when it is back", () => {
    let online = true;
    const t = setup({ online: () => online });
    t.start();
    t.connect();
    online = false;
    t.last().serverClose(1006);
    expect(t.room().status).toEqual({ kind: "offline", reason: "No network connection" });
    online = true;
    t.client.setNetwork(true);
    expect(t.sockets).toHaveLength(2);
  });

  it("drops a silent connection after the heartbeat timeout and pings while frames flow", () => {
    const t = setup();
    t.start();
    t.connect();
    t.clock.advance(25_000);
    expect(t.last().sentOf("ping")).toHaveLength(1);
    t.clock.advance(10_000);
    expect(t.room().status.kind).toBe("reconnecting");
    expect(t.sockets[0]?.closed?.code).toBe(4000);
  });

  it("stays live as long as pongs answer the pings", () => {
    const t = setup();
    t.start();
    t.connect();
    for (let i = 1; i <= 5; i++) {
      t.clock.advance(25_000);
      expect(t.last().sentOf("ping")).toHaveLength(i);
      t.clock.advance(1_000);
      t.receive("pong", { timestamp: t.clock.now() });
    }
    expect(t.room().status).toEqual({ kind: "live" });
    expect(t.sockets).toHaveLength(1);
  });

  it("stop() closes normally and never reconnects", () => {
    const t = setup();
    t.start();
    t.connect();
    const socket = t.last();
    t.connection.stop();
    expect(socket.closed?.code).toBe(1000);
    socket.serverClose(1000);
    t.clock.advance(120_000);
    expect(t.sockets).toHaveLength(1);
  });
});

describe("recovery with since_seq", () => {
  it("asks for what came after the last unbroken seq and merges it without duplicates", () => {
    const t = setup();
    t.start();
    t.connect([message(1), message(2), message(3)]);
    t.receive("new_message", { message: message(4) });
    t.last().serverClose(1006);
    t.clock.advance(60_000);
    expect(t.since()).toBe(4);
    t.connect([message(4), message(5), message(6)], { recovered: true });
    t.receive("new_message", { message: message(6) });
    t.receive("new_message", { message: message(7) });
    expect(seqs(t.room().messages)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("never skips a message that was still missing when the connection dropped", () => {
    const t = setup();
    t.start();
    t.connect([message(1)]);
    // our own confirmation (seq 3) arrived, bob's seq 2 had not yet
    t.receive("new_message", { message: message(3, "u-me") });
    t.last().serverClose(1006);
    t.clock.advance(60_000);
    expect(t.since()).toBe(1);
    t.connect([message(2), message(3, "u-me")], { recovered: true });
    expect(seqs(t.room().messages)).toEqual([1, 2, 3]);
  });

  it("reads the rest of the log over REST when the server says recovered: false", async () => {
    const t = setup({
      events: [
        { events: [newMessageEvent(message(4)), newMessageEvent(message(5))], has_more: true, last_seq: 6 },
        { events: [newMessageEvent(message(6))], has_more: false, last_seq: 6 },
      ],
    });
    t.start();
    t.connect([message(1)]);
    t.last().serverClose(1006);
    t.clock.advance(60_000);
    t.connect([message(2), message(3)], { recovered: false, last_seq: 6 });
    expect(t.room().lastSeq).toBe(1); // not past what is still missing
    await vi.waitFor(() => expect(seqs(t.room().messages)).toEqual([1, 2, 3, 4, 5, 6]));
    // from where the connection started, then from each page's last event
    expect(t.fetchEvents.mock.calls.map((c) => c[1])).toEqual([1, 5]);
    expect(t.room().lastSeq).toBe(6);
    expect(t.fetchPage).not.toHaveBeenCalled();
  });

  it("loads older pages on demand, down to seq 1", async () => {
    const t = setup({ pages: [{ messages: [message(1), message(2)], has_more: false }] });
    t.start();
    t.connect([message(3), message(4)]);
    await t.client.loadOlder();
    expect(t.fetchPage.mock.calls[0]?.[1]).toEqual({ before: 3, limit: 50 });
    expect(seqs(t.room().messages)).toEqual([1, 2, 3, 4]);
    await t.client.loadOlder();
    expect(t.fetchPage).toHaveBeenCalledOnce();
  });
});

describe("sending: pending, sent, failed, retry", () => {
  function live() {
    const t = setup();
    t.start();
    t.connect([message(1)]);
    return t;
  }

  it("shows a message as pending until message_sent, then as a stored message", () => {
    const t = live();
    const clientId = t.client.send("hello");
    expect(clientId).toBeTruthy();
    expect(t.room().outbox).toMatchObject([{ client_id: clientId, content: "hello", state: "pending" }]);
    expect(t.sentOf("send_message")).toEqual([{ content: "hello", client_id: clientId }]);
    const stored = message(2, "u-me", { content: "hello", client_id: clientId });
    t.receive("message_sent", { message: stored, client_id: clientId });
    expect(t.room().outbox).toEqual([]);
    expect(seqs(t.room().messages)).toEqual([1, 2]);
  });

  it("refuses empty and oversized content locally", () => {
    const t = live();
    expect(t.client.send("   ")).toBeNull();
    expect(t.client.send("x".repeat(4001))).toBeNull();
    expect(t.client.send("😀".repeat(4000))).not.toBeNull(); // 4000 characters, 8000 UTF-16 units
  });

  it("marks failed on message_error, and retry sends the same client_id again", () => {
    const t = live();
    const clientId = t.client.send("hello") ?? "";
    t.receive("message_error", { error: "storage unavailable", client_id: clientId, retryable: true });
    expect(t.room().outbox[0]).toMatchObject({ state: "failed", error: "storage unavailable", retryable: true });
    t.client.retry(clientId);
    expect(t.room().outbox[0]?.state).toBe("pending");
    expect(t.sentOf("send_message").map((d) => d.client_id)).toEqual([clientId, clientId]);
  });

  it("marks failed when no answer comes in time", () => {
    const t = live();
    t.client.send("hello");
    t.clock.advance(9_999);
    expect(t.room().outbox[0]?.state).toBe("pending");
    t.clock.advance(1);
    expect(t.room().outbox[0]).toMatchObject({ state: "failed", retryable: true });
  });

  it("a rate-limit refusal fails the message and starts a countdown from time_until_reset", () => {
    const t = live();
    const clientId = t.client.send("hello");
    t.receive("rate_limit_exceeded", {
      error: "Rate limit exceeded",
      client_id: clientId,
      rate_limit_info: { messages_sent: 10, max_messages: 10, time_until_reset: 42 },
    });
    expect(t.room().outbox[0]).toMatchObject({ state: "failed", retryable: true });
    expect(t.room().rateLimitedUntil).toBe(t.clock.now() + 42_000);
  });

  it("keeps messages written while disconnected pending and sends them once reconnected", () => {
    const t = live();
    t.last().serverClose(1006);
    const clientId = t.client.send("while away");
    expect(t.room().outbox[0]?.state).toBe("pending");
    t.clock.advance(60_000);
    expect(t.sentOf("send_message")).toEqual([]);
    t.connect([], { recovered: true });
    expect(t.sentOf("send_message")).toEqual([{ content: "while away", client_id: clientId }]);
  });

  it("does not send twice what the recovery shows was already stored", () => {
    const t = live();
    const clientId = t.client.send("in flight") ?? "";
    t.last().serverClose(1006); // message_sent lost with the connection
    t.clock.advance(60_000);
    const stored = message(2, "u-me", { content: "in flight", client_id: clientId });
    t.connect([stored], { recovered: true });
    expect(t.room().outbox).toEqual([]);
    expect(t.sentOf("send_message")).toEqual([]);
    expect(seqs(t.room().messages)).toEqual([1, 2]);
  });

  it("discard() removes a failed message", () => {
    const t = live();
    const clientId = t.client.send("oops") ?? "";
    t.receive("message_error", { error: "too long", client_id: clientId, retryable: false });
    t.client.discard(clientId);
    expect(t.room().outbox).toEqual([]);
  });
});

describe("typing", () => {
  it("shows others typing until they stop, send, leave, or time out", () => {
    const t = setup();
    t.start();
    t.connect();
    t.receive("user_typing", BOB);
    expect(t.room().typing).toEqual([BOB]);
    t.receive("user_stopped_typing", BOB);
    expect(t.room().typing).toEqual([]);

    t.receive("user_typing", BOB);
    t.receive("new_message", { message: message(1, "u-bob") });
    expect(t.room().typing).toEqual([]);

    t.receive("user_typing", BOB);
    t.clock.advance(6_000);
    expect(t.room().typing).toEqual([]);
  });

  it("ignores its own typing echo and clears everyone on disconnect", () => {
    const t = setup();
    t.start();
    t.connect();
    t.receive("user_typing", { user_id: ME.id, username: ME.username });
    expect(t.room().typing).toEqual([]);
    t.receive("user_typing", BOB);
    t.last().serverClose(1006);
    expect(t.room().typing).toEqual([]);
  });

  it("sends typing_start on input and typing_stop after a pause", () => {
    const t = setup();
    t.start();
    t.connect();
    t.client.input("h");
    t.client.input("he");
    expect(t.sentOf("typing_start")).toHaveLength(1);
    t.clock.advance(3_000);
    expect(t.sentOf("typing_stop")).toHaveLength(1);
  });
});

describe("presence across a drop", () => {
  it("forgets who is online while disconnected and learns it again on connect", () => {
    const t = setup();
    t.start();
    t.connect();
    t.receive("user_joined", BOB);
    t.last().serverClose(1006);
    expect(t.room().online).toEqual([]);
    t.clock.advance(60_000);
    t.connect([], { online_users: [BOB, { user_id: ME.id, username: ME.username }], recovered: true });
    expect(t.room().online.map((u) => u.username)).toEqual(["bob", "me"]);
  });
});
