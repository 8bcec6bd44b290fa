import { afterEach, describe, expect, test } from "bun:test";
import { decodeMessageRecord, decodeOffsetMessageId, MessageSysFlag } from "../../proto/message/index.ts";
import {
  createRemotingClient,
  createRequest,
  type RemotingCommand,
  readHeader,
} from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { removeDir, startBroker, tempDir, waitFor } from "../../tests/harness.ts";
import type { Broker, TransactionCheck } from "../index.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const enc = new TextEncoder();
const dec = new TextDecoder();
const clock = { now: 1_700_000_000_000 };

async function start(dir = tempDir("bunmq-tx-"), removeAfter = true) {
  if (removeAfter) cleanups.push(() => removeDir(dir));
  const running = await startBroker({
    dir,
    config: { transactionTimeOut: 6000, transactionCheckMax: 2, transactionCheckInterval: 1000 },
    options: {
      clock: () => clock.now,
      transactionCheckTimer: false,
      reviveIntervalMs: 0,
      scheduleIntervalMs: 0,
    },
  });
  cleanups.push(() => running.close());
  await running.broker.api.createTopic({ topic: "TxT", readQueueNums: 1, writeQueueNums: 1 });
  return running;
}

const visible = async (b: Broker, topic = "TxT") =>
  (
    await b.api.pull({ consumerGroup: "reader", topic, queueId: 0, queueOffset: 0, maxMsgNums: 32 })
  ).messages.map((m) => dec.decode(m.body));

const half = (b: Broker, body: string) =>
  b.api.send(
    {
      topic: "TxT",
      body: enc.encode(body),
      sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE,
      properties: { TRAN_MSG: "true" },
    },
    { producerGroup: "TxPG" },
  );

describe("transactions", () => {
  test("a half message is invisible until committed; a rolled back one never shows; resolving twice is harmless", async () => {
    const { broker } = await start();
    const a = await half(broker, "commit-me");
    const b = await half(broker, "roll-me-back");
    expect(a.topic).toBe("RMQ_SYS_TRANS_HALF_TOPIC");
    expect(await visible(broker)).toEqual([]);
    const end = (r: typeof a, outcome: "COMMIT" | "ROLLBACK") =>
      broker.api.endTransaction({
        producerGroup: "TxPG",
        commitLogOffset: decodeOffsetMessageId(r.msgId).commitLogOffset,
        tranStateTableOffset: r.queueOffset,
        commitOrRollback: outcome,
      });
    await end(a, "COMMIT");
    await end(b, "ROLLBACK");
    await end(a, "COMMIT");
    expect(await visible(broker)).toEqual(["commit-me"]);
    const [committed] = (
      await broker.api.pull({ consumerGroup: "r", topic: "TxT", queueId: 0, queueOffset: 0, maxMsgNums: 1 })
    ).messages;
    expect(committed!.sysFlag & MessageSysFlag.TRANSACTION_ROLLBACK_TYPE).toBe(
      MessageSysFlag.TRANSACTION_COMMIT_TYPE,
    );
    expect(committed!.properties.UNIQ_KEY).toBe(a.uniqKey!);
    await expect(
      broker.api.endTransaction({
        producerGroup: "Other",
        commitLogOffset: a.commitLogOffset,
        commitOrRollback: "COMMIT",
      }),
    ).rejects.toMatchObject({ code: ResponseCode.TRANSACTION_STATE_GROUP_WRONG });
    clock.now += 60_000;
    expect(await broker.checkTransactions()).toBe(0);
  });

  test("open half messages are checked after the timeout, then given up after transactionCheckMax checks", async () => {
    const { broker } = await start();
    const checks: TransactionCheck[] = [];
    broker.api.onTransactionCheck((c) => checks.push(c));
    await half(broker, "undecided");
    expect(await broker.checkTransactions()).toBe(0);
    clock.now += 6_000;
    expect(await broker.checkTransactions()).toBe(1);
    expect(checks[0]!.message.topic).toBe("TxT");
    expect(checks[0]!.producerGroup).toBe("TxPG");
    expect(await broker.checkTransactions()).toBe(0); // not again before transactionCheckInterval
    clock.now += 1_000;
    expect(await broker.checkTransactions()).toBe(1);
    clock.now += 1_000;
    expect(await broker.checkTransactions()).toBe(0);
    expect(await visible(broker, "TRANS_CHECK_MAX_TIME_TOPIC")).toEqual(["undecided"]);
    expect(await visible(broker)).toEqual([]);
  });

  test("an open half message survives a restart; a resolved one does not come back", async () => {
    const dir = tempDir("bunmq-tx-restart-");
    cleanups.push(() => removeDir(dir));
    const first = await start(dir, false);
    const open = await half(first.broker, "open");
    const done = await half(first.broker, "done");
    await first.broker.api.endTransaction({
      producerGroup: "TxPG",
      commitLogOffset: done.commitLogOffset,
      commitOrRollback: "ROLLBACK",
    });
    await first.close();
    const second = await start(dir, false);
    const checks: TransactionCheck[] = [];
    second.broker.api.onTransactionCheck((c) => checks.push(c));
    clock.now += 10_000;
    expect(await second.broker.checkTransactions()).toBe(1);
    expect(checks.map((c) => dec.decode(c.message.body))).toEqual(["open"]);
    await second.broker.api.endTransaction({
      producerGroup: "TxPG",
      commitLogOffset: open.commitLogOffset,
      commitOrRollback: "COMMIT",
    });
    expect(await visible(second.broker)).toEqual(["open"]);
  });

  test("a remoting producer gets CHECK_TRANSACTION_STATE and resolves it with END_TRANSACTION", async () => {
    const { broker, addr } = await start();
    const received: RemotingCommand[] = [];
    const producer = createRemotingClient().handle(RequestCode.CHECK_TRANSACTION_STATE, (cmd) => {
      received.push(cmd);
      return cmd; // oneway: not answered
    });
    cleanups.push(() => producer.close());
    const hb = { clientID: "tx-producer", producerDataSet: [{ groupName: "TxPG" }], consumerDataSet: [] };
    expect(
      (await producer.invoke(addr, createRequest(RequestCode.HEART_BEAT, {}, enc.encode(JSON.stringify(hb)))))
        .code,
    ).toBe(0);
    const sent = await producer.invoke(
      addr,
      createRequest(
        RequestCode.SEND_MESSAGE_V2,
        {
          a: "TxPG",
          b: "TxT",
          e: 0,
          f: MessageSysFlag.TRANSACTION_PREPARED_TYPE,
          g: clock.now,
          h: 0,
          i: "TRAN_MSG\u0001true\u0002",
        },
        enc.encode("remote"),
      ),
    );
    const h = readHeader(sent, { msgId: "string", queueOffset: "long" });
    clock.now += 7_000;
    expect(await broker.checkTransactions()).toBe(1);
    await waitFor("CHECK_TRANSACTION_STATE", () => received.length === 1);
    const check = readHeader(received[0]!, {
      tranStateTableOffset: "long",
      commitLogOffset: "long",
      topic: "string",
    });
    expect(check).toMatchObject({ tranStateTableOffset: h.queueOffset, topic: "TxT" });
    expect(decodeMessageRecord(received[0]!.body!).topic).toBe("TxT");
    const end = await producer.invoke(
      addr,
      createRequest(RequestCode.END_TRANSACTION, {
        producerGroup: "TxPG",
        tranStateTableOffset: check.tranStateTableOffset,
        commitLogOffset: check.commitLogOffset,
        commitOrRollback: 8,
        fromTransactionCheck: true,
      }),
    );
    expect(end.code).toBe(ResponseCode.SUCCESS);
    expect(await visible(broker)).toEqual(["remote"]);
  });
});
