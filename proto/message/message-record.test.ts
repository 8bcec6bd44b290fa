import { describe, expect, test } from "bun:test";
import { MqError } from "../error.ts";
import {
  BLANK_MAGIC_CODE,
  bodyCrc32,
  checkMessageRecord,
  createMessageRecordDecoder,
  decodeMessageRecord,
  encodeMessageRecord,
  encodeMessageRecordHead,
  MESSAGE_MAGIC_CODE,
  MESSAGE_MAGIC_CODE_V2,
  type MessageRecordFields,
  messageRecordSize,
  readStoreTimestamp,
} from "./message-record.ts";
import { MessageSysFlag } from "./message-sys-flag.ts";
import { encodeMessageProperties, measureMessageProperties, writeMessageProperties } from "./properties.ts";
import { parseSocketAddress } from "./socket-address.ts";

const enc = new TextEncoder();

function fields(over: Partial<MessageRecordFields> = {}): MessageRecordFields {
  return {
    topic: enc.encode("TopicTest"),
    queueId: 3,
    flag: 7,
    queueOffset: 42,
    commitLogOffset: 2 ** 33 + 17,
    sysFlag: MessageSysFlag.TRANSACTION_COMMIT_TYPE,
    bornTimestamp: 1_700_000_000_123,
    bornHost: parseSocketAddress("10.0.0.1:50000"),
    storeTimestamp: 1_700_000_000_456,
    storeHost: parseSocketAddress("10.0.0.2:10911"),
    reconsumeTimes: 2,
    preparedTransactionOffset: -1,
    body: enc.encode("hello body"),
    properties: enc.encode(encodeMessageProperties({ TAGS: "TagA", UNIQ_KEY: "ABC" })),
    ...over,
  };
}

function encode(f: MessageRecordFields): Uint8Array {
  const size = messageRecordSize(
    f.body.length,
    f.topic.length,
    f.properties.length,
    f.bornHost.ip.length,
    f.storeHost.ip.length,
  );
  const out = new Uint8Array(size);
  expect(encodeMessageRecord(out, new DataView(out.buffer), 0, f)).toBe(size);
  return out;
}

describe("CommitLog record codec", () => {
  test("round-trips every field and computes RocketMQ's body CRC and offset msgId", () => {
    const raw = encode(fields());
    const view = new DataView(raw.buffer);
    expect(view.getInt32(0)).toBe(raw.length);
    expect(raw.length).toBe(91 + 10 + 9 + encodeMessageProperties({ TAGS: "TagA", UNIQ_KEY: "ABC" }).length);
    expect(view.getInt32(4)).toBe(MESSAGE_MAGIC_CODE);
    const m = decodeMessageRecord(raw);
    expect(m.topic).toBe("TopicTest");
    expect(m.queueId).toBe(3);
    expect(m.flag).toBe(7);
    expect(m.queueOffset).toBe(42);
    expect(m.commitLogOffset).toBe(2 ** 33 + 17);
    expect(m.sysFlag).toBe(MessageSysFlag.TRANSACTION_COMMIT_TYPE);
    expect(m.bornTimestamp).toBe(1_700_000_000_123);
    expect(m.bornHost).toBe("10.0.0.1:50000");
    expect(m.storeTimestamp).toBe(1_700_000_000_456);
    expect(readStoreTimestamp(view, 0)).toBe(1_700_000_000_456);
    expect(m.storeHost).toBe("10.0.0.2:10911");
    expect(m.reconsumeTimes).toBe(2);
    expect(m.preparedTransactionOffset).toBe(-1);
    expect(new TextDecoder().decode(m.body)).toBe("hello body");
    expect(m.bodyCRC).toBe(bodyCrc32(enc.encode("hello body")));
    expect(m.bodyCRC).toBeGreaterThanOrEqual(0);
    expect(m.properties).toEqual({ TAGS: "TagA", UNIQ_KEY: "ABC" });
    expect(m.msgId).toBe("0A00000200002A9F0000000200000011");
    expect(m.raw).toEqual(raw);
    expect(m.storeSize).toBe(raw.length);
  });

  test("uses the V2 magic and a 2-byte topic length for topics over 127 bytes", () => {
    const topic = "T".repeat(200);
    const raw = encode(fields({ topic: enc.encode(topic) }));
    expect(new DataView(raw.buffer).getInt32(4)).toBe(MESSAGE_MAGIC_CODE_V2);
    expect(decodeMessageRecord(raw).topic).toBe(topic);
  });

  test("head + properties written in place give the same bytes as encodeMessageRecord, in any target position", () => {
    const props = { TAGS: "TagA", KEYS: "k1 k2", "n\u00e4me": "v\u{1F600}", UNIQ_KEY: "ABC" };
    for (const over of [
      {},
      { topic: enc.encode("T".repeat(200)) },
      { bornHost: parseSocketAddress("[::1]:1") },
    ]) {
      const f = fields({ ...over, properties: enc.encode(encodeMessageProperties(props)) });
      const expected = encode(f);
      const target = new Uint8Array(expected.length + 40).fill(0xaa);
      const view = new DataView(target.buffer);
      const length = measureMessageProperties(props, null);
      const at = encodeMessageRecordHead(target, view, 17, f, length);
      expect(at).toBe(17 + expected.length - length);
      expect(writeMessageProperties(props, null, target, at)).toBe(17 + expected.length);
      expect(target.subarray(17, 17 + expected.length)).toEqual(new Uint8Array(expected));
      expect(target[16]).toBe(0xaa);
      expect(target[17 + expected.length]).toBe(0xaa);
    }
  });

  test("sets the V6 host flags from IPv6 addresses", () => {
    const raw = encode(fields({ bornHost: parseSocketAddress("[::1]:1"), sysFlag: 0 }));
    const m = decodeMessageRecord(raw);
    expect(m.sysFlag).toBe(MessageSysFlag.BORNHOST_V6_FLAG);
    expect(m.bornHost).toBe("[0:0:0:0:0:0:0:1]:1");
    expect(readStoreTimestamp(new DataView(raw.buffer), 0)).toBe(1_700_000_000_456);
  });

  test("check recognises end of data, blank markers and corruption without throwing", () => {
    const raw = encode(fields());
    const view = new DataView(raw.buffer);
    const ok = checkMessageRecord(raw, view, 0, raw.length, { checkCRC: true, expectedOffset: 2 ** 33 + 17 });
    expect(ok.kind === "message" && ok.size).toBe(raw.length);
    expect(checkMessageRecord(raw, view, 0, raw.length, { checkCRC: true, expectedOffset: 0 }).kind).toBe(
      "corrupt",
    );

    const zeros = new Uint8Array(64);
    expect(checkMessageRecord(zeros, new DataView(zeros.buffer), 0, 64, { checkCRC: true }).kind).toBe("end");

    const blank = new Uint8Array(64);
    const bv = new DataView(blank.buffer);
    bv.setInt32(0, 64);
    bv.setInt32(4, BLANK_MAGIC_CODE);
    expect(checkMessageRecord(blank, bv, 0, 64, { checkCRC: true })).toEqual({ kind: "blank", size: 64 });
    expect(checkMessageRecord(blank, bv, 0, 128, { checkCRC: true }).kind).toBe("corrupt");

    const flipped = raw.slice();
    flipped[raw.length - 40]! ^= 0xff; // inside the body
    const fv = new DataView(flipped.buffer);
    expect(checkMessageRecord(flipped, fv, 0, flipped.length, { checkCRC: true }).kind).toBe("corrupt");

    const truncated = raw.slice(0, raw.length - 1);
    expect(
      checkMessageRecord(truncated, new DataView(truncated.buffer), 0, truncated.length, { checkCRC: false })
        .kind,
    ).toBe("corrupt");
  });

  test("a flipped byte in a size, magic, CRC, offset, length field or the body is always caught", () => {
    const raw = encode(fields());
    // IPv4 hosts: body length at 84, body 88..97, topic length 98, properties length 108..109.
    const guarded = [...range(0, 12), ...range(28, 36), ...range(84, 99), 108, 109];
    for (const i of guarded) {
      const bad = raw.slice();
      bad[i]! ^= 0x5a;
      const check = checkMessageRecord(bad, new DataView(bad.buffer), 0, bad.length, {
        checkCRC: true,
        expectedOffset: 2 ** 33 + 17,
      });
      expect({ i, kind: check.kind }).toEqual({ i, kind: "corrupt" });
    }
  });

  test("decode checks the stored offset when asked, and the caching decoder gives the same result", () => {
    const raw = encode(fields());
    expect(() => decodeMessageRecord(raw, 0, { expectedOffset: 5 })).toThrow(/PHYSICALOFFSET/);
    expect(decodeMessageRecord(raw, 0, { expectedOffset: 2 ** 33 + 17 }).queueOffset).toBe(42);
    const decodeMany = createMessageRecordDecoder();
    const other = encode(
      fields({ topic: enc.encode("OtherTopic"), bornHost: parseSocketAddress("10.0.0.9:1") }),
    );
    for (const bytes of [raw, raw, other, raw]) {
      const cached = decodeMany(bytes);
      const plain = decodeMessageRecord(bytes);
      expect({ ...cached, raw: null, body: null }).toEqual({ ...plain, raw: null, body: null });
    }
  });

  test("decode throws a clear MqError for anything but one whole record", () => {
    const raw = encode(fields());
    expect(() => decodeMessageRecord(new Uint8Array(16))).toThrow(MqError);
    expect(() => decodeMessageRecord(raw.subarray(0, 50))).toThrow(/not a message record/);
    const bad = raw.slice();
    bad[bad.length - 40]! ^= 1;
    expect(() => decodeMessageRecord(bad)).toThrow(MqError);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}
