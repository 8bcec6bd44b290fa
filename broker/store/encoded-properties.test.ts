import { afterEach, describe, expect, test } from "bun:test";
import { MqError } from "../../proto/error.ts";
import {
  decodeMessageProperties,
  decodeMessageRecord,
  encodeMessageProperties,
  tagsStringToTagsCode,
} from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { createMessageStore, type MessageStore } from "./message-store.ts";
import type { MessageStoreOptions } from "./options.ts";
import { removeDir, smallOptions, tempDir } from "./testdata/fixture.ts";
import type { DispatchRequest, MessageInput } from "./types.ts";

const open: MessageStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

async function newStore(extra: Partial<MessageStoreOptions> = {}): Promise<MessageStore> {
  const dir = tempDir();
  dirs.push(dir);
  const store = await createMessageStore(smallOptions(dir, { clock: () => 1_700_000_000_000, ...extra }));
  open.push(store);
  return store;
}

const body = new TextEncoder().encode("hello");
const base = {
  topic: "TopicE",
  queueId: 0,
  body,
  bornTimestamp: 1_699_999_999_000,
  bornHost: "10.0.0.9:4000",
};

/** The stored record's bytes and the request's properties as the store decodes them back. */
async function storeOne(store: MessageStore, input: MessageInput) {
  const seen: DispatchRequest[] = [];
  const off = store.onDispatch((d) => seen.push(d));
  const r = await store.putMessage(input);
  off();
  const bytes = store.getCommitLogData(r.commitLogOffset, r.wroteBytes).slice();
  const m = decodeMessageRecord(bytes, 0);
  return { r, bytes, m, dispatched: seen[0]! };
}

describe("putMessage with encodedProperties", () => {
  test("stores the same record bytes as the same properties given as an object (non-ASCII, UNIQ_KEY given)", async () => {
    const props = {
      TAGS: "tä😀g",
      KEYS: "k1 k2",
      UNIQ_KEY: "AC110001000018B4AAC20000000000FF",
      émoji: "🐇 \ud800x",
    };
    const encoded = encodeMessageProperties(props);
    const a = await storeOne(await newStore(), { ...base, properties: props });
    const b = await storeOne(await newStore(), { ...base, encodedProperties: encoded });
    const c = await storeOne(await newStore(), {
      ...base,
      properties: decodeMessageProperties(encoded),
      encodedProperties: encoded,
    });
    expect(b.bytes).toEqual(a.bytes);
    expect(c.bytes).toEqual(a.bytes);
    expect(b.m.properties).toEqual({ ...props, émoji: "🐇 \ufffdx" });
    for (const x of [b, c]) {
      expect(x.r.uniqKey).toBe(props.UNIQ_KEY);
      expect(x.dispatched.tagsCode).toBe(tagsStringToTagsCode("tä😀g"));
      expect(x.dispatched.keys).toBe("k1 k2");
      expect(x.dispatched.uniqKey).toBe(props.UNIQ_KEY);
      expect(x.dispatched.properties).toEqual(decodeMessageProperties(encoded));
    }
  });

  test("generates a UNIQ_KEY when the string has none, and the index finds it and the keys", async () => {
    const store = await newStore();
    const encoded = "KEYS\u0001order-7\u0002TAGS\u0001red\u0002WAIT\u0001true\u0002";
    const { r, m, dispatched } = await storeOne(store, { ...base, encodedProperties: encoded });
    expect(r.uniqKey).toMatch(/^[0-9A-F]{32}$/);
    expect(m.properties).toEqual({ KEYS: "order-7", TAGS: "red", WAIT: "true", UNIQ_KEY: r.uniqKey });
    expect(dispatched.properties).toEqual(m.properties);
    expect(store.queryMessageByUniqKey("TopicE", r.uniqKey).map((x) => x.commitLogOffset)).toEqual([
      r.commitLogOffset,
    ]);
    const byKey = store.queryMessageByKey("TopicE", "order-7", 8, 0, Number.MAX_SAFE_INTEGER);
    expect(byKey.map((x) => x.commitLogOffset)).toEqual([r.commitLogOffset]);
    const got = store.getMessages({
      topic: "TopicE",
      queueId: 0,
      queueOffset: 0,
      maxCount: 4,
      tagsCodeFilter: (code) => code === tagsStringToTagsCode("red"),
    });
    expect(got.messages.map((x) => x.properties.TAGS)).toEqual(["red"]);
  });

  test("an empty string stores only the generated UNIQ_KEY", async () => {
    const { r, m } = await storeOne(await newStore(), { ...base, encodedProperties: "" });
    expect(m.properties).toEqual({ UNIQ_KEY: r.uniqKey });
  });

  test("a string that is not stored as is goes through decode and encode, as an object would", async () => {
    const cases: [string, Record<string, string>][] = [
      ["TAGS\u0001a", { TAGS: "a" }], // no trailing separator
      ["TAGS\u0001a\u0002TAGS\u0001b\u0002", { TAGS: "b" }], // a repeated routing property: the last wins
      ["noSeparator\u0002TAGS\u0001a\u0002", { TAGS: "a" }], // an entry without a name/value separator is skipped
      ["UNIQ_KEY\u0001\u0002TAGS\u0001a\u0002", { TAGS: "a" }], // an empty UNIQ_KEY is replaced
    ];
    for (const [encoded, expected] of cases) {
      const { r, m, dispatched } = await storeOne(await newStore(), { ...base, encodedProperties: encoded });
      expect(m.properties).toEqual({ ...expected, UNIQ_KEY: r.uniqKey });
      expect(dispatched.tagsCode).toBe(tagsStringToTagsCode(expected.TAGS));
    }
  });

  test("a value containing \\u0001 is refused as with an object, and nothing is stored", async () => {
    const store = await newStore();
    for (const encoded of ["A\u0001b\u0001c\u0002", "\u0001v\u0002"]) {
      const err = await store.putMessage({ ...base, encodedProperties: encoded }).catch((e) => e);
      expect(err).toBeInstanceOf(MqError);
      expect((err as MqError).code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    }
    expect(store.getMaxOffsetInQueue("TopicE", 0)).toBe(0);
  });

  test("properties over 32767 bytes are refused", async () => {
    const store = await newStore({ maxMessageSize: 64 * 1024, commitLogSegmentSize: 256 * 1024 });
    const err = await store
      .putMessage({ ...base, encodedProperties: `BIG\u0001${"é".repeat(16_400)}\u0002` })
      .catch((e) => e);
    expect((err as MqError).code).toBe(ResponseCode.MESSAGE_ILLEGAL);
  });

  test("a custom tagsCodeOf sees the decoded properties", async () => {
    const store = await newStore({ tagsCodeOf: (_t, p) => Number(p.LEVEL ?? "0") });
    const { dispatched } = await storeOne(store, { ...base, encodedProperties: "LEVEL\u000142\u0002" });
    expect(dispatched.tagsCode).toBe(42);
  });
});
