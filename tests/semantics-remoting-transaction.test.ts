import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRemotingClient } from "../proto/remoting/index.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { type AliOnsProcess, assignedQueues, spawnAliOnsConsumer } from "./fixtures/semantics/ali-ons.ts";
import {
  createJavaLikeClient,
  type JavaLikeClient,
  TransactionType,
} from "./fixtures/semantics/java-remoting-client.ts";
import {
  closeBrokerAndNameServer,
  createTopicOverRemoting,
  type RunningBroker,
  type RunningNameServer,
  reopenBroker,
  startBroker,
  startNameServer,
  waitFor,
} from "./harness.ts";

/*
 * Transactions on the remoting path. ali-ons 3.12 has no transactional producer (no END_TRANSACTION, no
 * CHECK_TRANSACTION_STATE handling), so the producer here is our remoting client speaking exactly what a Java
 * TransactionMQProducer sends (SEND_MESSAGE_V2 with sysFlag PREPARED, END_TRANSACTION oneway, answers to
 * CHECK_TRANSACTION_STATE); the consumer is a real ali-ons consumer. The check interval and the maximum check
 * count are configured small (broker.conf transactionCheckInterval, transactionCheckMax).
 */

const PG = "SemTxPG";
const CHECK_MAX = 4;
let ns: RunningNameServer;
let broker: RunningBroker;
const admin = createRemotingClient();
const children: AliOnsProcess[] = [];
const producers: JavaLikeClient[] = [];
const brokerConfig = {
  transactionTimeOut: 500,
  transactionCheckInterval: 300,
  transactionCheckMax: CHECK_MAX,
};

beforeAll(async () => {
  ns = await startNameServer();
  broker = await startBroker({ namesrvAddr: ns.addr, config: brokerConfig });
  for (const topic of ["SemTx", "SemTxBad", "SemTxR"])
    await createTopicOverRemoting(admin, broker.addr, topic, 1, ns.addr);
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  for (const p of producers) p.close();
  admin.close();
  await closeBrokerAndNameServer(broker, ns);
});

async function restartBroker() {
  broker = await reopenBroker(broker, { namesrvAddr: ns.addr, config: brokerConfig });
}

async function readyConsumer(group: string, topic: string) {
  const c = spawnAliOnsConsumer(ns.addr, group, topic);
  children.push(c);
  await waitFor(`${group} to own the queue`, () => assignedQueues(c).length === 1, 30_000);
  return c;
}

/** A Java-like transactional producer whose check-back answers come from `answers` (by body; default UNKNOWN). */
function txProducer(id: string, answers: (body: string) => number) {
  const p = createJavaLikeClient(id);
  producers.push(p);
  const checks: string[] = [];
  p.onCheckTransaction(PG, (check) => {
    const body = new TextDecoder().decode(check.message.body);
    checks.push(body);
    return answers(body);
  });
  p.keepAlive(() => broker.addr, { producerGroups: [PG] });
  return { p, checks };
}

const bodiesOf = (c: AliOnsProcess) => c.of("msg").map((m) => m.body as string);
async function stored(topic: string) {
  const api = broker.broker.api;
  if (!(await api.getTopicConfig(topic))) return [];
  return (
    await api.pull({ consumerGroup: "sem-inspector", topic, queueId: 0, queueOffset: 0, maxMsgNums: 32 })
  ).messages;
}

describe("transactions over remoting (Java TransactionMQProducer protocol, ali-ons consumer)", () => {
  test("commit is delivered, rollback never; unknown ones are resolved by CHECK_TRANSACTION_STATE; unanswered ones give up after transactionCheckMax", async () => {
    const consumer = await readyConsumer("SemTxG", "SemTx");
    const { p, checks } = txProducer("sem-tx-producer@1", (body) =>
      body === "unknown-commit"
        ? TransactionType.COMMIT
        : body === "unknown-rollback"
          ? TransactionType.ROLLBACK
          : TransactionType.UNKNOWN,
    );
    const half = (body: string) => p.sendHalf(broker.addr, { producerGroup: PG, topic: "SemTx", body });
    const end = (h: Awaited<ReturnType<typeof half>>, commitOrRollback: number) =>
      p.endTransaction(broker.addr, {
        producerGroup: PG,
        tranStateTableOffset: h.queueOffset,
        commitLogOffset: h.commitLogOffset,
        commitOrRollback,
        msgId: h.msgId,
      });

    const commitMe = await half("commit-me");
    const rollbackMe = await half("rollback-me");
    await half("unknown-commit");
    await half("unknown-rollback");
    await half("never-answered");
    // half messages are out of the consumers' sight: nothing in the real topic yet
    expect(await broker.broker.api.getMaxOffset("SemTx", 0)).toBe(0);
    await end(commitMe, TransactionType.COMMIT);
    await end(rollbackMe, TransactionType.ROLLBACK);

    await waitFor(
      "the unanswered half message to be given up",
      async () =>
        (await stored("TRANS_CHECK_MAX_TIME_TOPIC")).some(
          (m) => new TextDecoder().decode(m.body) === "never-answered",
        ),
      15_000,
    );
    expect(checks.filter((b) => b === "never-answered").length).toBe(CHECK_MAX);
    expect(checks).toContain("unknown-commit");
    expect(checks).toContain("unknown-rollback");
    expect(checks).not.toContain("commit-me");

    await end(await half("marker"), TransactionType.COMMIT);
    await waitFor("the marker", () => bodiesOf(consumer).includes("marker"), 15_000);
    expect(bodiesOf(consumer)).toEqual(["commit-me", "unknown-commit", "marker"]);
    const committed = consumer.of("msg")[0]!;
    expect(committed.properties.TRAN_MSG).toBe("true");
  }, 40_000);

  test("END_TRANSACTION for an unknown or mismatched handle is refused with a clear error; the half message stays and commits later", async () => {
    const p = createJavaLikeClient("sem-tx-bad@1");
    producers.push(p);
    const normal = await p.send(broker.addr, {
      producerGroup: PG,
      topic: "SemTxBad",
      queueId: 0,
      body: "plain",
    });
    const h = await p.sendHalf(broker.addr, {
      producerGroup: "SemTxBadPG",
      topic: "SemTxBad",
      body: "pending",
    });
    const ask = (over: Partial<Parameters<JavaLikeClient["endTransaction"]>[1]>) =>
      p.endTransaction(
        broker.addr,
        {
          producerGroup: "SemTxBadPG",
          tranStateTableOffset: h.queueOffset,
          commitLogOffset: h.commitLogOffset,
          commitOrRollback: TransactionType.COMMIT,
          msgId: h.msgId,
          ...over,
        },
        false,
      );
    const notHalf = await ask({
      commitLogOffset: normal.commitLogOffset,
      tranStateTableOffset: normal.queueOffset,
    });
    expect(notHalf!.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(notHalf!.remark).toContain("Find prepared transaction message failed");
    const beyond = await ask({ commitLogOffset: 1 << 30 });
    expect(beyond!.code).not.toBe(ResponseCode.SUCCESS);
    expect(beyond!.remark).toMatch(/prepared transaction message|offset/i);
    const badOutcome = await ask({ commitOrRollback: 5 });
    expect(badOutcome!.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(badOutcome!.remark).toContain("commitOrRollback 5 is not 0, 8 or 12");
    const wrongGroup = await ask({ producerGroup: "SomeoneElse" });
    expect(wrongGroup!.code).toBe(ResponseCode.TRANSACTION_STATE_GROUP_WRONG);
    const wrongQueueOffset = await ask({ tranStateTableOffset: h.queueOffset + 7 });
    expect(wrongQueueOffset!.code).toBe(ResponseCode.INVALID_PARAMETER);
    // nothing was committed by the refused requests, and nothing stored was lost
    expect((await stored("SemTxBad")).map((m) => new TextDecoder().decode(m.body))).toEqual(["plain"]);
    expect((await ask({}))!.code).toBe(ResponseCode.SUCCESS);
    expect((await stored("SemTxBad")).map((m) => new TextDecoder().decode(m.body))).toEqual([
      "plain",
      "pending",
    ]);
  }, 20_000);

  test("half messages survive a broker restart: one committed by its producer afterwards, one resolved by the check-back, one rolled back", async () => {
    const consumer = await readyConsumer("SemTxRG", "SemTxR");
    let restarted = false;
    const { p, checks } = txProducer("sem-tx-restart@1", (body) =>
      restarted && body === "checked-after-restart" ? TransactionType.COMMIT : TransactionType.UNKNOWN,
    );
    const half = (body: string) => p.sendHalf(broker.addr, { producerGroup: PG, topic: "SemTxR", body });
    const a = await half("committed-after-restart");
    await half("checked-after-restart");
    const c = await half("rolled-back-after-restart");
    await restartBroker();
    restarted = true;
    const end = (h: typeof a, commitOrRollback: number) =>
      p.endTransaction(broker.addr, {
        producerGroup: PG,
        tranStateTableOffset: h.queueOffset,
        commitLogOffset: h.commitLogOffset,
        commitOrRollback,
        msgId: h.msgId,
      });
    await end(a, TransactionType.COMMIT);
    await end(c, TransactionType.ROLLBACK);
    await waitFor("the two committed messages", () => bodiesOf(consumer).length >= 2, 20_000);
    expect(checks).toContain("checked-after-restart");
    const marker = await half("marker");
    await end(marker, TransactionType.COMMIT);
    await waitFor("the marker", () => bodiesOf(consumer).includes("marker"), 15_000);
    expect(bodiesOf(consumer).sort()).toEqual(["checked-after-restart", "committed-after-restart", "marker"]);
  }, 40_000);
});
