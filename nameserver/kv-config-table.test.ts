import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MqError } from "../proto/error.ts";
import { createKvConfigTable } from "./kv-config-table.ts";

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});
const tempPath = () => {
  const dir = mkdtempSync(join(tmpdir(), "bunmq-kv-"));
  dirs.push(dir);
  return join(dir, "namesrv", "kvConfig.json");
};

describe("KV config table", () => {
  test("puts, gets, lists and deletes by namespace", () => {
    const kv = createKvConfigTable();
    kv.put("ORDER_TOPIC_CONFIG", "T", "broker-a:4");
    kv.put("ORDER_TOPIC_CONFIG", "U", "broker-a:8");
    expect(kv.get("ORDER_TOPIC_CONFIG", "T")).toBe("broker-a:4");
    expect(kv.list("ORDER_TOPIC_CONFIG")).toEqual({ T: "broker-a:4", U: "broker-a:8" });
    kv.delete("ORDER_TOPIC_CONFIG", "T");
    kv.delete("ORDER_TOPIC_CONFIG", "missing");
    expect(kv.get("ORDER_TOPIC_CONFIG", "T")).toBeUndefined();
    kv.delete("ORDER_TOPIC_CONFIG", "U");
    expect(kv.list("ORDER_TOPIC_CONFIG")).toBeUndefined();
    expect(kv.list("never")).toBeUndefined();
  });

  test("survives a restart through its file, in RocketMQ's kvConfig.json shape", () => {
    const path = tempPath();
    const kv = createKvConfigTable({ path });
    kv.put("ns", "k", "v ✓");
    kv.put("ns", "gone", "x");
    kv.delete("ns", "gone");
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ configTable: { ns: { k: "v ✓" } } });
    expect(existsSync(`${path}.tmp`)).toBe(false);
    expect(createKvConfigTable({ path }).list("ns")).toEqual({ k: "v ✓" });
  });

  test("refuses to start on a corrupt file and leaves it untouched", () => {
    const path = tempPath();
    createKvConfigTable({ path }).put("ns", "k", "v");
    writeFileSync(path, '{"configTable":{"ns":{"k":');
    expect(() => createKvConfigTable({ path })).toThrow(MqError);
    expect(() => createKvConfigTable({ path })).toThrow("is corrupt");
    writeFileSync(path, '{"configTable":{"ns":{"k":1}}}');
    expect(() => createKvConfigTable({ path })).toThrow("ns.k is not a string");
    expect(readFileSync(path, "utf8")).toBe('{"configTable":{"ns":{"k":1}}}');
  });

  test("starts empty when the file does not exist yet", () => {
    expect(createKvConfigTable({ path: tempPath() }).list("ns")).toBeUndefined();
  });
});
