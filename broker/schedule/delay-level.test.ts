import { expect, test } from "bun:test";
import { parseDelayLevels } from "./delay-level.ts";

test("parses RocketMQ's 18 default delay levels", () => {
  const levels = parseDelayLevels("1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h");
  expect(levels.length).toBe(18);
  expect(levels[0]).toBe(1000);
  expect(levels[4]).toBe(60_000);
  expect(levels[17]).toBe(7_200_000);
  expect(() => parseDelayLevels("1s 5x")).toThrow(/bad level/);
});
