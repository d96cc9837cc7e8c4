import { describe, expect, it } from "vitest";
import { covers, hasOlder, joinRuns, mergeBySeq } from "./history";
import { message } from "./testing";

const seqs = (list: { seq: number }[]) => list.map((m) => m.seq);

describe("mergeBySeq", () => {
  it("appends the live stream in order", () => {
    expect(seqs(mergeBySeq([message(1), message(2)], [message(3)]))).toEqual([1, 2, 3]);
  });

  it("drops messages already shown: a recovery that overlaps the live stream shows nothing twice", () => {
    const shown = [message(4), message(5), message(6)];
    const recovered = [message(5), message(6), message(7), message(8)];
    expect(seqs(mergeBySeq(shown, recovered))).toEqual([4, 5, 6, 7, 8]);
  });

  it("sorts out-of-order arrivals and older pages into place", () => {
    const merged = mergeBySeq([message(10), message(12)], [message(11), message(3), message(2)]);
    expect(seqs(merged)).toEqual([2, 3, 10, 11, 12]);
  });

  it("keeps the same array when nothing is new (no re-render)", () => {
    const shown = [message(1), message(2)];
    expect(mergeBySeq(shown, [message(2)])).toBe(shown);
    expect(mergeBySeq(shown, [])).toBe(shown);
  });
});

describe("hasOlder", () => {
  it("is true exactly when the first loaded seq is above 1", () => {
    expect(hasOlder([])).toBe(false);
    expect(hasOlder([message(1)])).toBe(false);
    expect(hasOlder([message(51)])).toBe(true);
  });
});

describe("covers", () => {
  it("is true for a seq between the first and the last loaded, bounds included", () => {
    const run = [message(10), message(12), message(15)];
    expect([9, 10, 11, 15, 16].map((seq) => covers(run, seq))).toEqual([false, true, true, true, false]);
    expect(covers([], 1)).toBe(false);
  });
});

describe("joinRuns", () => {
  it("joins a window and the live run once they overlap, each seq once, the live state kept", () => {
    const live = [message(20, "u-bob", { content: "edited live" }), message(21), message(22)];
    const window = [message(18), message(19), message(20)];
    const joined = joinRuns(live, window);
    expect(joined && seqs(joined)).toEqual([18, 19, 20, 21, 22]);
    expect(joined?.find((m) => m.seq === 20)?.content).toBe("edited live");
  });

  it("keeps them apart while a message may lie between: seqs that look adjacent are not proof", () => {
    expect(joinRuns([message(20), message(21)], [message(18), message(19)])).toBeNull();
    expect(joinRuns([], [message(1)])).toBeNull();
    expect(joinRuns([message(1)], [])).toBeNull();
  });
});
