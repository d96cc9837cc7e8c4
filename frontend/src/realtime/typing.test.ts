import { describe, expect, it } from "vitest";
import { FakeClock } from "./testing";
import { TypingNotifier, TypingTracker, typingLabel } from "./typing";
import type { UserRef } from "./protocol";

const alice = { user_id: "u-alice", username: "alice" };
const bob = { user_id: "u-bob", username: "bob" };

describe("TypingTracker", () => {
  function tracker() {
    const clock = new FakeClock();
    const seen: UserRef[][] = [];
    const t = new TypingTracker(clock, (users) => seen.push(users), 6000);
    return { clock, seen, t };
  }

  it("shows a user on start and hides them on stop", () => {
    const { t } = tracker();
    t.start(alice);
    t.start(bob);
    expect(t.users().map((u) => u.username)).toEqual(["alice", "bob"]);
    t.stop("u-alice");
    expect(t.users()).toEqual([bob]);
  });

  it("expires a user whose stop never came, counting from the last start", () => {
    const { clock, t } = tracker();
    t.start(alice);
    clock.advance(5000);
    t.start(alice); // refresh
    clock.advance(5000);
    expect(t.users()).toEqual([alice]);
    clock.advance(1000);
    expect(t.users()).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it("notifies only on changes, and clear() cancels every timer", () => {
    const { clock, seen, t } = tracker();
    t.start(alice);
    t.start(alice);
    expect(seen).toHaveLength(1);
    t.clear();
    expect(seen.at(-1)).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

describe("TypingNotifier", () => {
  function notifier(live = true) {
    const clock = new FakeClock();
    const frames: string[] = [];
    const n = new TypingNotifier(clock, (type) => {
      if (live) frames.push(type);
      return live;
    }, 3000, 3000);
    return { clock, frames, n };
  }

  it("sends one start while typing goes on, refreshing it every few seconds", () => {
    const { clock, frames, n } = notifier();
    n.input("h");
    clock.advance(1000);
    n.input("he");
    clock.advance(1000);
    n.input("hel");
    expect(frames).toEqual(["typing_start"]);
    clock.advance(1000);
    n.input("hell");
    expect(frames).toEqual(["typing_start", "typing_start"]);
  });

  it("sends stop after an idle pause, and when the text is cleared", () => {
    const { clock, frames, n } = notifier();
    n.input("hi");
    clock.advance(2999);
    expect(frames).toEqual(["typing_start"]);
    clock.advance(1);
    expect(frames).toEqual(["typing_start", "typing_stop"]);
    n.input("again");
    n.input("");
    expect(frames).toEqual(["typing_start", "typing_stop", "typing_start", "typing_stop"]);
    expect(n.isActive).toBe(false);
  });

  it("reset() after a send forgets the state without a stop frame (the server stops it)", () => {
    const { clock, frames, n } = notifier();
    n.input("hi");
    n.reset();
    clock.advance(10_000);
    expect(frames).toEqual(["typing_start"]);
    n.input("next");
    expect(frames).toEqual(["typing_start", "typing_start"]);
  });

  it("sends nothing and arms no timer while disconnected", () => {
    const { clock, frames, n } = notifier(false);
    n.input("hi");
    expect(frames).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

describe("typingLabel", () => {
  it("names one, two, three, or many typists", () => {
    expect(typingLabel([])).toBe("");
    expect(typingLabel(["alice"])).toBe("alice is typing…");
    expect(typingLabel(["alice", "bob"])).toBe("alice and bob are typing…");
    expect(typingLabel(["alice", "bob", "carol"])).toBe("alice, bob and carol are typing…");
    expect(typingLabel(["a", "b", "c", "d", "e"])).toBe("a, b and 3 others are typing…");
  });
});
