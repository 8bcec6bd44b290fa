import { expect, test } from "bun:test";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import {
  decodeReceiptHandle,
  decodeReceiptHandleRest,
  encodeReceiptHandle,
  queueOffsetFieldAt,
  type ReceiptHandle,
  realTopicOf,
} from "./receipt-handle.ts";

test("a receipt handle round-trips in ExtraInfoUtil's space-separated form", () => {
  const h: ReceiptHandle = {
    startOffset: 10,
    popTime: 1_700_000_000_000,
    invisibleTime: 30_000,
    reviveQid: 3,
    topicType: "1",
    brokerName: "broker-a",
    queueId: 2,
    queueOffset: 12,
    commitLogOffset: 4096,
  };
  const text = encodeReceiptHandle(h);
  expect(text).toBe("10 1700000000000 30000 3 1 broker-a 2 12 4096");
  expect(decodeReceiptHandle(text)).toEqual(h);
  expect(realTopicOf(h, "T", "G")).toBe("%RETRY%G_T");
  expect(decodeReceiptHandle("10 1 2 3 0 b 2 12").commitLogOffset).toBe(-1);
  expect(decodeReceiptHandle("10 1 2 3 0 b 2 12 -1").commitLogOffset).toBe(-1);
});

test("malformed receipt handles are INVALID_PARAMETER", () => {
  for (const bad of [
    "",
    "garbage",
    "1 2 3 4 0 b 5",
    "a 2 3 4 0 b 5 6 7",
    "1 2 3 4 9 b 5 6 7",
    "1 2 3 4 0  5 6 7",
    "10 2 3 4 0 b 5 6 7",
    "1 2 3 4 0 b 5 99999999999999999999 7",
    "1 2 3 4 0 b 5 9007199254740993 7",
    "1 2 3 4 0 b 5 6 0x7",
    "1 2 3 4 0 b 5 6 1e3",
    "1 2 3 4 0 b - 6 7",
    "1 2 3 4 0 b 5 6 +7",
    "1 2 3 4 0 b 5 6 7.5",
  ]) {
    try {
      decodeReceiptHandle(bad);
      throw new Error(`accepted ${bad}`);
    } catch (err) {
      expect(err).toBeInstanceOf(MqError);
      expect((err as MqError).code).toBe(ResponseCode.INVALID_PARAMETER);
    }
  }
});

test("handles of one checkpoint decode from their shared head plus their own offsets", () => {
  const base = decodeReceiptHandle("10 1 2 3 0 b 2 12 4096");
  const other = "10 1 2 3 0 b 2 15 5000";
  const at = queueOffsetFieldAt(other);
  expect(other.slice(0, at)).toBe("10 1 2 3 0 b 2 ");
  expect(decodeReceiptHandleRest(other, at, base)).toEqual(decodeReceiptHandle(other));
  expect(decodeReceiptHandleRest("10 1 2 3 0 b 2 15", at, base)).toEqual(
    decodeReceiptHandle("10 1 2 3 0 b 2 15"),
  );
  for (const bad of [
    "10 1 2 3 0 b 2 9 1",
    "10 1 2 3 0 b 2 x 1",
    "10 1 2 3 0 b 2 15 1 7",
    "10 1 2 3 0 b 2 15 ",
  ])
    expect(decodeReceiptHandleRest(bad, at, base)).toBeUndefined();
  expect(queueOffsetFieldAt("10 1 2 3 0 b")).toBe(-1);
});
