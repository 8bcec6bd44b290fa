import { afterEach, describe, expect, test } from "bun:test";
import { createRemotingClient, createRequest } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { removeDir, startBroker, tempDir } from "../../tests/harness.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A Java BitSet's toByteArray() in Base64, for bits `set`. */
function bitSet(set: number[]): string {
  const bytes = new Uint8Array((Math.max(...set) >> 3) + 1);
  for (const bit of set) bytes[bit >> 3]! |= 1 << (bit & 7);
  return Buffer.from(bytes).toString("base64");
}

describe("BATCH_ACK_MESSAGE over remoting", () => {
  test("acks the offsets of each BatchAck, reports refused ones per offset, and refuses bad bodies clearly", async () => {
    const dir = tempDir("bunmq-batch-ack-");
    cleanups.push(() => removeDir(dir));
    const clock = { now: 1_700_000_000_000 };
    const running = await startBroker({
      dir,
      options: { clock: () => clock.now, reviveIntervalMs: 0, scheduleIntervalMs: 0 },
    });
    cleanups.push(() => running.close());
    const api = running.broker.api;
    await api.createTopic({ topic: "BA", readQueueNums: 1, writeQueueNums: 1 });
    for (const b of ["m0", "m1", "m2"]) await api.send({ topic: "BA", body: enc.encode(b), properties: {} });
    const popped = await api.pop({
      consumerGroup: "G",
      topic: "BA",
      queueId: -1,
      maxMsgNums: 32,
      invisibleTimeMs: 30_000,
      initMode: "MIN",
    });
    expect(popped.messages.length).toBe(3);
    const [so, pt, it, rq, r, brokerName, q] = popped.messages[0]!.receiptHandle.split(" ");
    const ck = {
      c: "G",
      t: "BA",
      r,
      so: Number(so),
      q: Number(q),
      rq: Number(rq),
      pt: Number(pt),
      it: Number(it),
    };
    const client = createRemotingClient({ serializeType: "JSON" });
    cleanups.push(() => client.close());
    const batchAck = (body: unknown) =>
      client.invoke(
        running.addr,
        createRequest(
          RequestCode.BATCH_ACK_MESSAGE,
          {},
          enc.encode(typeof body === "string" ? body : JSON.stringify(body)),
        ),
        5000,
      );

    const start = Number(so);
    const res = await batchAck({
      brokerName,
      acks: [
        // m0 and m2, plus an offset the pop never handed out
        { ...ck, b: bitSet([0, 2, 9].map((o) => o + popped.messages[0]!.queueOffset - start)) },
        // a whole BatchAck refused: bad group name
        { ...ck, c: "bad group", b: bitSet([1]) },
      ],
    });
    expect(res.code).toBe(ResponseCode.SUCCESS);
    const { failures } = JSON.parse(dec.decode(res.body)) as {
      failures: Array<{ ack: number; offset: number; code: number; remark: string }>;
    };
    expect(failures.map((f) => [f.ack, f.offset, f.code]).sort()).toEqual([
      [0, popped.messages[0]!.queueOffset + 9, ResponseCode.INVALID_PARAMETER],
      [1, start + 1, ResponseCode.INVALID_PARAMETER],
    ]);
    expect(failures.find((f) => f.ack === 0)!.remark).toContain("not part of its pop checkpoint");

    const bad: Array<[unknown, string]> = [
      ["not json", "not valid JSON"],
      [{ brokerName, acks: {} }, "$.acks must be an array"],
      [{ brokerName, acks: [{ ...ck, b: "%%%%" }] }, "$.acks[0].b is not Base64"],
      [{ brokerName, acks: [{ ...ck, r: "2", b: bitSet([1]) }] }, '$.acks[0].r must be "0" or "1"'],
      [{ brokerName, acks: [{ ...ck, so: -1, b: bitSet([1]) }] }, "$.acks[0].so is illegal"],
      [{ acks: [] }, "$.brokerName must be a string"],
    ];
    for (const [body, remark] of bad) {
      const refused = await batchAck(body);
      expect(refused.code).toBe(ResponseCode.INVALID_PARAMETER);
      expect(refused.remark).toContain(remark);
    }

    // the server still answers, and only m1 (never acked) comes back
    clock.now += 31_000;
    expect(await running.broker.revive()).toBe(1);
    const again = await api.pop({
      consumerGroup: "G",
      topic: "BA",
      queueId: -1,
      maxMsgNums: 32,
      invisibleTimeMs: 30_000,
      initMode: "MIN",
    });
    expect(again.messages.map((m) => dec.decode(m.body))).toEqual(["m1"]);
    const [so2, pt2, it2, rq2, r2, , q2] = again.messages[0]!.receiptHandle.split(" ");
    const ok = await batchAck({
      brokerName,
      acks: [
        {
          consumerGroup: "G",
          topic: "BA",
          retry: r2,
          startOffset: Number(so2),
          queueId: Number(q2),
          reviveQueueId: Number(rq2),
          popTime: Number(pt2),
          invisibleTime: Number(it2),
          bitSet: bitSet([again.messages[0]!.queueOffset - Number(so2)]),
        },
      ],
    });
    expect(ok.code).toBe(ResponseCode.SUCCESS);
    expect(ok.body?.length ?? 0).toBe(0);
    clock.now += 60_000;
    expect(await running.broker.revive()).toBe(0);
  });
});
