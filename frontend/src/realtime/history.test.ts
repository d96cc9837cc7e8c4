import { describe, expect, it } from "vitest";
import { hasOlder, mergeBySeq } from "./history";
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
