import { expect, test } from "bun:test";
import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import {
  type BatchAck,
  decodeBatchAckBody,
  decodeBatchAckFailures,
  encodeBatchAckBody,
  encodeBatchAckFailures,
  MAX_BATCH_ACK_OFFSETS,
} from "./batch-ack-body.ts";

const ack = (offsets: number[], startOffset = 10): BatchAck => ({
  consumerGroup: "G",
  topic: "T",
  retry: "0",
  startOffset,
  queueId: 1,
  reviveQueueId: 3,
  popTime: 100,
  invisibleTime: 5000,
  offsets,
});

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

function refusal(f: () => unknown): MqError {
  try {
    f();
  } catch (e) {
    if (e instanceof MqError) return e;
    throw e;
  }
  throw new Error("not refused");
}

test("a request body round-trips, its bit set laid out as Java's BitSet.toByteArray in Base64", () => {
  const acks = [ack([10, 19]), ack([7], 7), ack([])];
  const body = encodeBatchAckBody("broker-a", acks);
  const raw = JSON.parse(new TextDecoder().decode(body));
  expect(raw.acks[0].b).toBe(Buffer.from([0x01, 0x02]).toString("base64")); // bits 0 and 9
  expect(raw.acks[0]).toMatchObject({ c: "G", t: "T", r: "0", so: 10, q: 1, rq: 3, pt: 100, it: 5000 });
  expect(decodeBatchAckBody(body)).toEqual({ brokerName: "broker-a", acks });
});

test("the long field names a RocketMQ client may write are read too", () => {
  const body = json({
    brokerName: "b",
    acks: [
      {
        consumerGroup: "G",
        topic: "T",
        retry: "1",
        startOffset: 4,
        queueId: 0,
        reviveQueueId: 0,
        popTime: 1,
        invisibleTime: 2,
        bitSet: Buffer.from([0x80]).toString("base64"),
      },
    ],
  });
  expect(decodeBatchAckBody(body).acks[0]).toMatchObject({ retry: "1", startOffset: 4, offsets: [11] });
});

test("bad request bodies are refused with INVALID_PARAMETER naming what is wrong", () => {
  const good = JSON.parse(new TextDecoder().decode(encodeBatchAckBody("b", [ack([10])])));
  const cases: Array<[unknown, RegExp]> = [
    [{ ...good, brokerName: "a b" }, /brokerName/],
    [{ ...good, acks: [{ ...good.acks[0], b: "not base64!" }] }, /not Base64/],
    [{ ...good, acks: [{ ...good.acks[0], r: "2" }] }, /\.r must be/],
    [{ ...good, acks: [{ ...good.acks[0], so: -1 }] }, /\.so is illegal/],
    [
      {
        ...good,
        acks: [{ ...good.acks[0], b: Buffer.alloc(MAX_BATCH_ACK_OFFSETS / 8 + 1, 0xff).toString("base64") }],
      },
      /more than 4096 offsets/,
    ],
  ];
  for (const [body, message] of cases) {
    const e = refusal(() => decodeBatchAckBody(json(body)));
    expect(e.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(e.message).toMatch(message);
  }
  expect(() => decodeBatchAckBody(new TextEncoder().encode("{"))).toThrow("not valid JSON");
  expect(refusal(() => encodeBatchAckBody("b", [ack([9])])).message).toMatch(/below the BatchAck's start/);
});

test("the failures body round-trips; no body means every offset was acked", () => {
  expect(encodeBatchAckFailures([])).toBeUndefined();
  expect(decodeBatchAckFailures(undefined)).toEqual([]);
  const failures = [{ ack: 0, offset: 5, code: 29, remark: "x" }];
  expect(decodeBatchAckFailures(encodeBatchAckFailures(failures))).toEqual(failures);
  expect(() => decodeBatchAckFailures(new TextEncoder().encode("{"))).toThrow("not valid JSON");
});
