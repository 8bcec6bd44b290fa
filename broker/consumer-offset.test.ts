import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConsumerOffsetTable } from "./consumer-offset.ts";
import { createSubscriptionGroupTable } from "./subscription-group.ts";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "bunmq-offset-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("consumer offsets survive persist and reload; unknown queues answer -1", () => {
  const dir = tempDir();
  const offsets = createConsumerOffsetTable({ configDir: dir });
  offsets.commit("G1", "T", 0, 10);
  offsets.commit("G1", "T", 3, 7);
  offsets.commit("G2", "%RETRY%G2", 0, 1);
  expect(existsSync(offsets.path)).toBe(false);
  offsets.persist();

  const again = createConsumerOffsetTable({ configDir: dir });
  expect(again.query("G1", "T", 0)).toBe(10);
  expect(again.query("G1", "T", 3)).toBe(7);
  expect(again.query("G1", "T", 1)).toBe(-1);
  expect(again.groupsOf("T")).toEqual(["G1"]);
  expect(again.topicsOf("G2")).toEqual(["%RETRY%G2"]);
  again.removeTopic("T");
  again.persist();
  expect(createConsumerOffsetTable({ configDir: dir }).query("G1", "T", 0)).toBe(-1);
});

test("persistAsync writes the offsets off the event loop; a failed write keeps them for the next one", async () => {
  const dir = tempDir();
  const offsets = createConsumerOffsetTable({ configDir: join(dir, "config") });
  offsets.commit("G1", "T", 0, 10);
  // The config directory cannot be created while a file holds its name: the write fails.
  writeFileSync(join(dir, "config"), "not a directory");
  await expect(offsets.persistAsync()).rejects.toThrow();
  rmSync(join(dir, "config"));
  offsets.commit("G1", "T", 1, 4);
  await offsets.persistAsync();
  const again = createConsumerOffsetTable({ configDir: join(dir, "config") });
  expect([again.query("G1", "T", 0), again.query("G1", "T", 1)]).toEqual([10, 4]);
  expect(readdirSync(join(dir, "config"))).toEqual(["consumerOffset.json"]);
  // Nothing changed since: no write (the file stays as it is even if removed).
  rmSync(offsets.path);
  await offsets.persistAsync();
  expect(existsSync(offsets.path)).toBe(false);
});

test("subscription groups are auto-created with the broker's retry default and reloaded", () => {
  const dir = tempDir();
  const groups = createSubscriptionGroupTable({ configDir: dir, defaultRetryMaxTimes: 3 });
  expect(groups.findOrCreate("G", false)).toBeUndefined();
  expect(groups.findOrCreate("G", true)?.retryMaxTimes).toBe(3);
  const again = createSubscriptionGroupTable({ configDir: dir });
  expect(again.get("G")?.retryMaxTimes).toBe(3);
  expect(again.remove("G")).toBe(true);
  expect(createSubscriptionGroupTable({ configDir: dir }).get("G")).toBeUndefined();
});
