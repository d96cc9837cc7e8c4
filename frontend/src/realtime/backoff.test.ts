import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF } from "./backoff";

describe("backoffDelay", () => {
  it("doubles per attempt and stays within [ceiling/2, ceiling]", () => {
    for (let attempt = 0; attempt < 6; attempt++) {
      const ceiling = DEFAULT_BACKOFF.baseMs * 2 ** attempt;
      expect(backoffDelay(attempt, () => 0)).toBe(ceiling / 2);
      expect(backoffDelay(attempt, () => 1)).toBe(ceiling);
      const mid = backoffDelay(attempt, () => 0.5);
      expect(mid).toBeGreaterThan(ceiling / 2);
      expect(mid).toBeLessThan(ceiling);
    }
  });

  it("is capped at the maximum, even for huge attempt numbers", () => {
    expect(backoffDelay(10, () => 1)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(backoffDelay(10_000, () => 1)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(backoffDelay(10_000, () => 0)).toBe(DEFAULT_BACKOFF.maxMs / 2);
  });

  it("jitters: different random draws give different delays, never zero", () => {
    const delays = new Set([0, 0.25, 0.5, 0.75, 1].map((r) => backoffDelay(3, () => r)));
    expect(delays.size).toBe(5);
    expect(Math.min(...delays)).toBeGreaterThan(0);
    expect(backoffDelay(0, Math.random)).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.baseMs / 2);
  });
});
