import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { alterAttributes, createTopicConfigTable, newTopicConfig, topicMessageType } from "./topic-config.ts";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "bunmq-topic-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("topic config table", () => {
  test("persists topics.json atomically and reloads it", () => {
    const dir = tempDir();
    const table = createTopicConfigTable({ configDir: dir });
    table.put(
      newTopicConfig("T1", { readQueueNums: 4, writeQueueNums: 4, attributes: { "message.type": "FIFO" } }),
    );
    expect(table.createIfAbsent(newTopicConfig("T2")).created).toBe(true);
    expect(table.createIfAbsent(newTopicConfig("T2", { readQueueNums: 1 })).created).toBe(false);
    const before = table.dataVersion().counter;
    table.remove("T2");
    expect(table.dataVersion().counter).toBe(before + 1);

    const raw = JSON.parse(readFileSync(join(dir, "topics.json"), "utf8"));
    expect(raw.topicConfigTable.T1.readQueueNums).toBe(4);

    const again = createTopicConfigTable({ configDir: dir });
    expect(again.get("T1")?.writeQueueNums).toBe(4);
    expect(topicMessageType(again.get("T1")!)).toBe("FIFO");
    expect(again.get("T2")).toBeUndefined();
    expect(again.dataVersion().counter).toBe(table.dataVersion().counter);
  });

  test("a corrupt topics.json stops loading with an error naming the file", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "topics.json"), "{not json");
    expect(() => createTopicConfigTable({ configDir: dir })).toThrow(/topics\.json is not valid JSON/);
  });
});

describe("topic attributes", () => {
  test("parses +key=value and -key like RocketMQ's AttributeParser", () => {
    const a = alterAttributes({}, "+message.type=DELAY", true);
    expect(a).toEqual({ "message.type": "DELAY" });
    expect(alterAttributes(a, "-message.type", false)).toEqual({});
  });

  test("refuses unknown keys, bad values and removals on create", () => {
    for (const [spec, create] of [
      ["+nope=1", true],
      ["+message.type=WEIRD", true],
      ["-message.type", true],
      ["message.type=FIFO", false],
    ] as const) {
      try {
        alterAttributes({}, spec, create);
        throw new Error(`accepted ${spec}`);
      } catch (err) {
        expect(err).toBeInstanceOf(MqError);
        expect((err as MqError).code).toBe(ResponseCode.INVALID_PARAMETER);
      }
    }
  });
});
