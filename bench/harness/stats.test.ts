import { describe, expect, test } from "bun:test";
import { percentile, sortedCopy, spread } from "./stats.ts";

describe("percentile", () => {
  test("uses the nearest rank, so every answer is a real sample", () => {
    const s = sortedCopy(Array.from({ length: 1000 }, (_, i) => 1000 - i));
    expect(percentile(s, 0.5)).toBe(500);
    expect(percentile(s, 0.99)).toBe(990);
    expect(percentile(s, 0.999)).toBe(999);
    expect(percentile(s, 1)).toBe(1000);
    expect(percentile(s, 0)).toBe(1);
  });

  test("p999 of few samples is the maximum", () => {
    expect(percentile([1, 2, 3], 0.999)).toBe(3);
  });

  test("refuses no samples and quantiles outside 0..1", () => {
    expect(() => percentile([], 0.5)).toThrow("no samples");
    expect(() => percentile([1], 1.5)).toThrow("out of range");
    expect(() => percentile([1], Number.NaN)).toThrow("out of range");
  });
});

describe("spread", () => {
  test("gives min, median and max of an odd count", () => {
    expect(spread([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3 });
  });

  test("averages the middle two of an even count", () => {
    expect(spread([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 4 });
  });

  test("sorts numbers numerically, not as strings", () => {
    expect(spread([10, 9, 100])).toEqual({ min: 9, median: 10, max: 100 });
  });

  test("refuses no values", () => {
    expect(() => spread([])).toThrow("no values");
  });
});
