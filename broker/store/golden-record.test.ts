import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  decodeMessageRecord,
  encodeMessageProperties,
  encodeMessageRecord,
  type MessageRecordFields,
  messageRecordSize,
  parseSocketAddress,
} from "../../proto/message/index.ts";

/**
 * testdata/golden-record.bin is one CommitLog record as README.md lays it out. A format change must update both
 * (regenerate the file from `fields` below and check each offset in README.md).
 */
const GOLDEN = path.join(import.meta.dir, "testdata", "golden-record.bin");
const enc = new TextEncoder();
const properties = encodeMessageProperties({
  TAGS: "TagA",
  KEYS: "order-1",
  UNIQ_KEY: "C0A8010A1F4B1A2B3C4D0001020304AB",
});
const fields: MessageRecordFields = {
  topic: enc.encode("TopicTest"),
  queueId: 1,
  flag: 0,
  queueOffset: 5,
  commitLogOffset: 4096,
  sysFlag: 0,
  bornTimestamp: 1_700_000_000_000,
  bornHost: parseSocketAddress("192.168.1.10:53412"),
  storeTimestamp: 1_700_000_000_123,
  storeHost: parseSocketAddress("10.0.0.2:10911"),
  reconsumeTimes: 0,
  preparedTransactionOffset: 0,
  body: enc.encode("Hello RocketMQ"),
  properties: enc.encode(properties),
};

function encode(): Uint8Array {
  const size = messageRecordSize(fields.body.length, fields.topic.length, fields.properties.length);
  const out = new Uint8Array(size);
  encodeMessageRecord(out, new DataView(out.buffer), 0, fields);
  return out;
}

describe("golden CommitLog record", () => {
  test("the encoder produces the golden bytes", () => {
    const golden = new Uint8Array(fs.readFileSync(GOLDEN));
    expect(encode()).toEqual(golden);
  });

  test("every field sits where README.md says (IPv4 hosts, 1-byte topic length)", () => {
    const b = new Uint8Array(fs.readFileSync(GOLDEN));
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const bodyLen = 14;
    const topicLen = 9;
    const propsLen = properties.length;
    expect(b.length).toBe(91 + bodyLen + topicLen + propsLen);
    expect(v.getInt32(0)).toBe(b.length); // TOTALSIZE
    expect(v.getUint32(4)).toBe(0xdaa320a7); // MAGICCODE V1
    expect(v.getInt32(8)).toBe((Bun.hash.crc32(enc.encode("Hello RocketMQ")) & 0x7fffffff) | 0); // BODYCRC
    expect(v.getInt32(12)).toBe(1); // QUEUEID
    expect(v.getInt32(16)).toBe(0); // FLAG
    expect(v.getBigInt64(20)).toBe(5n); // QUEUEOFFSET
    expect(v.getBigInt64(28)).toBe(4096n); // PHYSICALOFFSET
    expect(v.getInt32(36)).toBe(0); // SYSFLAG
    expect(v.getBigInt64(40)).toBe(1_700_000_000_000n); // BORNTIMESTAMP
    expect([...b.subarray(48, 52)]).toEqual([192, 168, 1, 10]); // BORNHOST ip
    expect(v.getInt32(52)).toBe(53412); // BORNHOST port
    expect(v.getBigInt64(56)).toBe(1_700_000_000_123n); // STORETIMESTAMP
    expect([...b.subarray(64, 68)]).toEqual([10, 0, 0, 2]); // STOREHOSTADDRESS ip
    expect(v.getInt32(68)).toBe(10911); // STOREHOSTADDRESS port
    expect(v.getInt32(72)).toBe(0); // RECONSUMETIMES
    expect(v.getBigInt64(76)).toBe(0n); // PREPARED TRANSACTION OFFSET
    expect(v.getInt32(84)).toBe(bodyLen); // BODY length
    expect(new TextDecoder().decode(b.subarray(88, 88 + bodyLen))).toBe("Hello RocketMQ");
    expect(b[88 + bodyLen]).toBe(topicLen); // TOPIC length (1 byte)
    expect(new TextDecoder().decode(b.subarray(89 + bodyLen, 89 + bodyLen + topicLen))).toBe("TopicTest");
    const propsAt = 89 + bodyLen + topicLen;
    expect(v.getInt16(propsAt)).toBe(propsLen); // PROPERTIES length (2 bytes)
    expect(new TextDecoder().decode(b.subarray(propsAt + 2))).toBe(properties);
  });

  test("decodes to the fields and the offset message id", () => {
    const m = decodeMessageRecord(new Uint8Array(fs.readFileSync(GOLDEN)));
    expect(m.msgId).toBe("0A00000200002A9F0000000000001000");
    expect(m.properties.KEYS).toBe("order-1");
    expect(m.bornHost).toBe("192.168.1.10:53412");
  });
});
