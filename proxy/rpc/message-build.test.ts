import { describe, expect, test } from "bun:test";
import { crc32, gzipSync } from "node:zlib";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, Encoding, MessageSchema, MessageType, type Status } from "../../proto/v2.ts";
import { defaultProxyLimits } from "./env.ts";
import { type BuiltMessage, buildMessage, isBuilt } from "./message-build.ts";
import { toV2Message } from "./message-view.ts";

const now = 1_700_000_000_000;

function build(fields: Parameters<typeof create<typeof MessageSchema>>[1]): BuiltMessage | Status {
  return buildMessage(create(MessageSchema, fields), defaultProxyLimits, now);
}

function built(fields: Parameters<typeof create<typeof MessageSchema>>[1]): BuiltMessage {
  const b = build(fields);
  if (!isBuilt(b)) throw new Error(`refused: ${b.message}`);
  return b;
}

describe("buildMessage", () => {
  test("maps system properties to RocketMQ's property names", () => {
    const b = built({
      topic: { name: "t" },
      userProperties: { color: "red" },
      systemProperties: {
        messageId: "ID1",
        tag: "TagA",
        keys: ["k1", "k2"],
        messageGroup: "g1",
        bornHost: "client-host",
        traceContext: "trace",
      },
      body: new Uint8Array([1]),
    });
    expect(b.messageType).toBe(MessageType.FIFO);
    expect(b.message.properties).toEqual({
      color: "red",
      TAGS: "TagA",
      KEYS: "k1 k2",
      UNIQ_KEY: "ID1",
      __SHARDINGKEY: "g1",
      PGROUP: "t",
      __BORNHOST: "client-host",
      TRACE_CONTEXT: "trace",
    });
  });

  test("a delivery time becomes TIMER_DELIVER_MS, a transaction TRAN_MSG with its recovery time", () => {
    const delay = built({
      topic: { name: "t" },
      systemProperties: { messageId: "ID2", deliveryTimestamp: timestampFromMs(now + 5000) },
      body: new Uint8Array([1]),
    });
    expect(delay.messageType).toBe(MessageType.DELAY);
    expect(delay.message.properties.TIMER_DELIVER_MS).toBe(String(now + 5000));
    const tx = built({
      topic: { name: "t" },
      systemProperties: {
        messageId: "ID3",
        messageType: MessageType.TRANSACTION,
        orphanedTransactionRecoveryDuration: durationFromMs(30_000),
      },
      body: new Uint8Array([1]),
    });
    expect(tx.message.properties).toMatchObject({ TRAN_MSG: "true", CHECK_IMMUNITY_TIME_IN_SECONDS: "30" });
  });

  test("inflates a gzip body and refuses one that is not gzip", () => {
    const b = built({
      topic: { name: "t" },
      systemProperties: { messageId: "ID4", bodyEncoding: Encoding.GZIP },
      body: gzipSync(Buffer.from("zipped")),
    });
    expect(Buffer.from(b.message.body).toString()).toBe("zipped");
    const bad = build({
      topic: { name: "t" },
      systemProperties: { messageId: "ID5", bodyEncoding: Encoding.GZIP },
      body: new Uint8Array([1, 2, 3]),
    });
    expect((bad as Status).code).toBe(Code.MESSAGE_CORRUPTED);
  });

  test.each([
    [{ systemProperties: { messageId: "x", tag: "a|b" } }, Code.ILLEGAL_MESSAGE_TAG],
    [{ systemProperties: { messageId: "x", tag: "  " } }, Code.ILLEGAL_MESSAGE_TAG],
    [{ systemProperties: { messageId: "x", keys: [" "] } }, Code.ILLEGAL_MESSAGE_KEY],
    [{ systemProperties: { messageId: "x", messageGroup: "" } }, Code.ILLEGAL_MESSAGE_GROUP],
    [
      { systemProperties: { messageId: "x", messageType: MessageType.FIFO } },
      Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
    ],
    [
      { systemProperties: { messageId: "x" }, userProperties: { "": "v" } },
      Code.ILLEGAL_MESSAGE_PROPERTY_KEY,
    ],
    [
      { systemProperties: { messageId: "x" }, userProperties: { k: "a\u0001b" } },
      Code.ILLEGAL_MESSAGE_PROPERTY_KEY,
    ],
    [{}, Code.BAD_REQUEST],
  ])("refuses %p with code %p", (fields, code) => {
    const b = build({ topic: { name: "t" }, body: new Uint8Array([1]), ...fields });
    expect((b as Status).code).toBe(code);
  });
});

describe("toV2Message", () => {
  test("splits system from user properties and fills what clients dereference", () => {
    const body = Buffer.from("payload");
    const m = toV2Message(
      {
        topic: "%RETRY%g_t",
        queueId: 2,
        queueOffset: 7,
        commitLogOffset: 100,
        body,
        flag: 0,
        sysFlag: 0,
        properties: {
          TAGS: "a",
          KEYS: "k1 k2",
          UNIQ_KEY: "U",
          __SHARDINGKEY: "grp",
          RETRY_TOPIC: "t",
          mine: "v",
        },
        bornTimestamp: now,
        bornHost: "10.0.0.1:1234",
        storeTimestamp: now + 1,
        storeHost: "10.0.0.2:10911",
        reconsumeTimes: 2,
        msgId: "OFFSETID",
      },
      { receiptHandle: "h" },
    );
    const sp = m.systemProperties!;
    expect(m.topic?.name).toBe("t");
    expect(m.userProperties).toEqual({ mine: "v" });
    expect(sp).toMatchObject({
      tag: "a",
      keys: ["k1", "k2"],
      messageId: "U",
      messageGroup: "grp",
      deliveryAttempt: 3,
    });
    expect(sp.messageType).toBe(MessageType.FIFO);
    expect(sp.bodyDigest?.checksum).toBe(String(crc32(body)));
    expect(sp.receiptHandle).toBe("h");
    expect(sp.queueOffset).toBe(7n);
  });
});
