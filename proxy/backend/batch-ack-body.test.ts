import { expect, test } from "bun:test";
import { ResponseCode } from "../../proto/response-code.ts";
import { planBatchAck } from "./batch-ack-body.ts";

test("handles of one checkpoint become one BatchAck with a Java BitSet in Base64; bad and far ones are kept apart", () => {
  const plan = planBatchAck("b", "G", "T", [
    "10 100 5000 3 0 b 1 10 0",
    "10 100 5000 3 0 b 1 19 0",
    "7 100 5000 3 1 b 1 7 0",
    "garbage",
    "10 100 5000 3 0 b 1 200000 0",
    "10 100 5000 3 0 b 1 19 0",
  ]);
  const body = JSON.parse(new TextDecoder().decode(plan.body));
  expect(body.brokerName).toBe("b");
  expect(body.acks).toEqual([
    // bits 0 and 9: bytes [0x01, 0x02]
    {
      c: "G",
      t: "T",
      r: "0",
      so: 10,
      q: 1,
      rq: 3,
      pt: 100,
      it: 5000,
      b: Buffer.from([1, 2]).toString("base64"),
    },
    { c: "G", t: "T", r: "1", so: 7, q: 1, rq: 3, pt: 100, it: 5000, b: Buffer.from([1]).toString("base64") },
  ]);
  expect(plan.errors.map((e) => e?.code)).toEqual([
    undefined,
    undefined,
    undefined,
    ResponseCode.INVALID_PARAMETER,
    undefined,
    undefined,
  ]);
  expect(plan.singles).toEqual([4]);
  expect(plan.entriesOf(0, 19)).toEqual([1, 5]);
  expect(plan.entriesOf(1, 7)).toEqual([2]);
  expect(plan.entriesOf(2, 7)).toEqual([]);
});
