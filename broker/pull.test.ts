import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MqError } from "../proto/error.ts";
import { decodeMessageRecord } from "../proto/message/index.ts";
import { createRemotingClient, createRequest } from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { removeDir, startBroker, waitFor } from "../tests/harness.ts";
import { PullSysFlag } from "./handlers/pull-message.ts";
import type { Broker } from "./index.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

async function broker(): Promise<Broker> {
  const running = await startBroker();
  cleanups.push(() => removeDir(running.dir));
  cleanups.push(() => running.close());
  await running.broker.api.createTopic({ topic: "PullT", readQueueNums: 2, writeQueueNums: 2 });
  return running.broker;
}

const pull = (b: Broker, extra: Partial<Parameters<Broker["api"]["pull"]>[0]> = {}) =>
  b.api.pull({ consumerGroup: "G", topic: "PullT", queueId: 0, queueOffset: 0, maxMsgNums: 32, ...extra });

describe("pull", () => {
  test("a held pull answers as soon as a message is dispatched to its queue", async () => {
    const b = await broker();
    const held = pull(b, { suspendTimeoutMs: 20_000 });
    await b.api.send({ topic: "PullT", queueId: 1, body: enc.encode("other queue") });
    await b.api.send({ topic: "PullT", queueId: 0, body: enc.encode("wake") });
    const r = await held;
    // a held pull that timed out would report NO_NEW_MSG: FOUND means the dispatch woke it
    expect(r.status).toBe("FOUND");
    expect(r.messages.map((m) => dec.decode(m.body))).toEqual(["wake"]);
    expect(r.nextBeginOffset).toBe(1);
  });

  test("a held pull with nothing to read ends as NO_NEW_MSG after its timeout; closing the broker ends it too", async () => {
    const b = await broker();
    const r = await pull(b, { suspendTimeoutMs: 50 });
    expect(r).toMatchObject({ status: "NO_NEW_MSG", nextBeginOffset: 0, minOffset: 0, maxOffset: 0 });
    const aborter = new AbortController();
    const held = pull(b, { suspendTimeoutMs: 60_000, signal: aborter.signal });
    aborter.abort();
    expect((await held).status).toBe("NO_NEW_MSG");
  });

  test("offsets out of range are OFFSET_ILLEGAL with a corrected next offset; tag filters skip to NO_MATCHED_MSG", async () => {
    const b = await broker();
    for (const tag of ["A", "B", "B"])
      await b.api.send({ topic: "PullT", queueId: 0, body: enc.encode(tag), properties: { TAGS: tag } });
    const moved = await pull(b, { queueOffset: 99 });
    expect(moved).toMatchObject({ status: "OFFSET_ILLEGAL", minOffset: 0, maxOffset: 3 });
    expect(moved.nextBeginOffset).toBeLessThanOrEqual(3);
    const onlyA = await pull(b, { filter: { expressionType: "TAG", expression: "A" } });
    expect(onlyA.messages.map((m) => dec.decode(m.body))).toEqual(["A"]);
    const none = await pull(b, { queueOffset: 1, filter: { expressionType: "TAG", expression: "A" } });
    expect(none.status).toBe("NO_MATCHED_MSG");
    expect(none.nextBeginOffset).toBe(3);
    const sql = await pull(b, { filter: { expressionType: "SQL92", expression: "TAGS = 'B'" } });
    expect(sql.messages.length).toBe(2);
  });

  test("bodyOnly answers with the records' stored bytes, filtered by TAG (hash, then tag) or SQL92", async () => {
    const b = await broker();
    // "Aa" and "BB" share a tag hash code: only the tag itself tells them apart.
    for (const tag of ["Aa", "BB", "Aa", "C"])
      await b.api.send({
        topic: "PullT",
        queueId: 0,
        body: enc.encode(tag),
        properties: { TAGS: tag, n: "1" },
      });
    const bodies = (body: Uint8Array | undefined) => {
      const out: string[] = [];
      for (let at = 0; body && at < body.length; ) {
        const m = decodeMessageRecord(body, at);
        out.push(dec.decode(m.body));
        at += m.storeSize;
      }
      return out;
    };
    const all = await pull(b, { bodyOnly: true });
    expect(all.messages).toEqual([]);
    expect(all.body).toEqual(concat((await pull(b)).messages.map((m) => m.raw)));
    expect(bodies(all.body)).toEqual(["Aa", "BB", "Aa", "C"]);
    const aa = await pull(b, { bodyOnly: true, filter: { expressionType: "TAG", expression: "Aa" } });
    expect([aa.status, bodies(aa.body), aa.nextBeginOffset]).toEqual(["FOUND", ["Aa", "Aa"], 4]);
    const sql = await pull(b, {
      bodyOnly: true,
      filter: { expressionType: "SQL92", expression: "TAGS = 'BB'" },
    });
    expect(bodies(sql.body)).toEqual(["BB"]);
    const none = await pull(b, {
      bodyOnly: true,
      queueOffset: 3,
      filter: { expressionType: "TAG", expression: "BB" },
    });
    expect([none.status, none.body, none.nextBeginOffset]).toEqual(["NO_MATCHED_MSG", undefined, 4]);
    const held = pull(b, { bodyOnly: true, queueOffset: 4, suspendTimeoutMs: 20_000 });
    await b.api.send({ topic: "PullT", queueId: 0, body: enc.encode("wake") });
    expect(bodies((await held).body)).toEqual(["wake"]);
  });

  test("a pull can commit the group's offset (PullSysFlag COMMIT_OFFSET)", async () => {
    const b = await broker();
    await b.api.send({ topic: "PullT", queueId: 0, body: enc.encode("x") });
    await pull(b, { commitOffset: 1 });
    expect(await b.api.queryConsumerOffset("G", "PullT", 0)).toBe(1);
    expect(await b.api.queryConsumerOffset("G", "PullT", 1)).toBe(-1);
  });
});

describe("PULL_MESSAGE over remoting", () => {
  test("held pulls end when their client's connection closes", async () => {
    const b = await broker();
    const client = createRemotingClient({ serializeType: "ROCKETMQ" });
    const held = [0, 1].map((queueId) =>
      client
        .invoke(
          b.brokerAddr,
          createRequest(RequestCode.PULL_MESSAGE, {
            consumerGroup: "G",
            topic: "PullT",
            queueId,
            queueOffset: 0,
            maxMsgNums: 32,
            sysFlag: PullSysFlag.SUSPEND | PullSysFlag.SUBSCRIPTION,
            suspendTimeoutMillis: 60_000,
            subscription: "*",
            expressionType: "TAG",
          }),
          60_000,
        )
        .catch((err: unknown) => err),
    );
    await waitFor("two held pulls", () => b.longPolling.size === 2);
    await client.close();
    await waitFor("no held pull", () => b.longPolling.size === 0);
    for (const r of await Promise.all(held)) expect(r).toBeInstanceOf(MqError);
  });
});

describe("consumer offsets on the timer", () => {
  test("committed offsets reach consumerOffset.json without a close, and survive a restart", async () => {
    const running = await startBroker({ options: { flushConsumerOffsetIntervalMs: 10 } });
    cleanups.push(() => removeDir(running.dir));
    const b = running.broker;
    await b.api.createTopic({ topic: "PullT", readQueueNums: 2, writeQueueNums: 2 });
    await b.api.send({ topic: "PullT", queueId: 0, body: enc.encode("x") });
    await pull(b, { commitOffset: 1 });
    const file = join(running.dir, "config", "consumerOffset.json");
    await waitFor(
      "the timer's consumerOffset.json",
      () => existsSync(file) && readFileSync(file, "utf8").includes('"PullT@G"'),
      5000,
    );
    await pull(b, { queueId: 1, commitOffset: 0 });
    await running.close(); // waits for a write in flight, then writes the last commits
    const again = await startBroker({ dir: running.dir });
    cleanups.push(() => again.close());
    expect(await again.broker.api.queryConsumerOffset("G", "PullT", 0)).toBe(1);
    expect(await again.broker.api.queryConsumerOffset("G", "PullT", 1)).toBe(0);
  });
});

describe("checkSubscription", () => {
  test("accepts filters that compile and refuses the others, naming group, topic and problem", async () => {
    const b = await broker();
    await b.api.checkSubscription("G", "PullT", { expressionType: "TAG", expression: "a || b" });
    await b.api.checkSubscription("G", "PullT", { expressionType: "SQL92", expression: "n > 3 AND c = 'x'" });
    await expect(
      b.api.checkSubscription("G", "PullT", { expressionType: "SQL92", expression: "n >" }),
    ).rejects.toMatchObject({
      code: 23,
      message: expect.stringMatching(
        /^subscription of consumer group G to topic PullT \(SQL92 "n >"\) is refused: SQL92 parse error at \d+/,
      ),
    });
    await expect(
      b.api.checkSubscription("G", "PullT", { expressionType: "TAG", expression: "||" }),
    ).rejects.toMatchObject({ code: 23 });
  });

  test("refuses SQL92 on a broker without enablePropertyFilter", async () => {
    const running = await startBroker({ config: { enablePropertyFilter: false } });
    cleanups.push(() => removeDir(running.dir));
    cleanups.push(() => running.close());
    await expect(
      running.broker.api.checkSubscription("G", "T", { expressionType: "SQL92", expression: "a = 1" }),
    ).rejects.toThrow(/does not support consumer to filter message by SQL92/);
  });
});
