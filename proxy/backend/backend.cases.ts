import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { readReceiptHandle } from "../rpc/receipt-handle.ts";
import type {
  Backend,
  FilterSpec,
  MessageToSend,
  PoppedMessage,
  TopicMessageType,
  TransactionCheck,
} from "./backend.ts";

/** Broker settings the suite needs: half messages are checked at once and often. */
export const caseBrokerConfig = Object.freeze({ transactionTimeOut: 0, transactionCheckInterval: 200 });

/**
 * The suite every Backend runs (local.test.ts, cluster.test.ts): same calls, same outcomes, against a real broker.
 * Time-dependent cases move the broker's clock and run its revive pass instead of sleeping.
 */
export interface BackendFixture {
  backend: Backend;
  brokerName: string;
  createTopic(topic: string, messageType?: TopicMessageType): Promise<void>;
  createGroup(group: string, consumeMessageOrderly: boolean): Promise<void>;
  /** Moves the broker's clock on. */
  advance(ms: number): void;
  /** One revive pass on the broker; resolves with how many messages came back. */
  revive(): Promise<number>;
  close(): Promise<void>;
}

const all: FilterSpec = { expressionType: "TAG", expression: "*" };
let seq = 0;

function outgoing(topic: string, i: number, extra: Record<string, string> = {}): MessageToSend {
  return {
    topic,
    queueId: 0,
    body: new TextEncoder().encode(`body ${i}`),
    flag: 0,
    properties: {
      TAGS: `tag${i}`,
      KEYS: `key${i}`,
      UNIQ_KEY: `ID${Date.now()}${seq++}`,
      color: "blue",
      ...extra,
    },
    bornTimestamp: Date.now(),
    bornHost: "127.0.0.1:0",
  };
}

async function waitFor(check: () => boolean, timeoutMs = 5000, poll?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await poll?.();
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

async function refusedWith(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    return MqError.from(err).code;
  }
  throw new Error("expected a refusal");
}

export function runBackendCases(name: string, setup: () => Promise<BackendFixture>): void {
  describe(`${name} backend`, () => {
    let f: BackendFixture;
    let b: Backend;
    beforeAll(async () => {
      f = await setup();
      b = f.backend;
    });
    afterAll(() => f.close());

    const popAll = (topic: string, group: string, invisibleTime: number, pollTime = 0) =>
      b.popMessage(f.brokerName, {
        consumerGroup: group,
        topic,
        queueId: -1,
        maxMsgNums: 16,
        invisibleTime,
        pollTime,
        filter: all,
        order: false,
        initMode: 0,
      });

    test("refuses a topic no broker has with TOPIC_NOT_EXIST", async () => {
      expect(await refusedWith(b.getTopicRoute(`${name}-missing`))).toBe(ResponseCode.TOPIC_NOT_EXIST);
    });

    test("describes a topic's queues and message type", async () => {
      await f.createTopic(`${name}-fifo`, "FIFO");
      const r = await b.getTopicRoute(`${name}-fifo`);
      expect(r.messageType).toBe("FIFO");
      expect(r.queueDatas).toEqual([
        { brokerName: f.brokerName, readQueueNums: 4, writeQueueNums: 4, perm: 6 },
      ]);
    });

    test("reads a consumer group's settings, with defaults for one the broker does not know", async () => {
      await f.createGroup(`${name}-orderly`, true);
      expect(await b.getConsumerGroup(`${name}-orderly`)).toMatchObject({ consumeMessageOrderly: true });
      expect(await b.getConsumerGroup(`${name}-unknown`)).toMatchObject({
        consumeMessageOrderly: false,
        retryMaxTimes: 16,
      });
    });

    test("checks a subscription's filter: a valid one passes, a bad SQL92 one is SUBSCRIPTION_PARSE_FAILED", async () => {
      const topic = `${name}-sub`;
      await f.createTopic(topic);
      await b.checkSubscription(`${name}-g`, topic, {
        expressionType: "SQL92",
        expression: "a > 1 AND b = 'x'",
      });
      await b.checkSubscription(`${name}-g`, topic, { expressionType: "TAG", expression: "A || B" });
      const bad = b.checkSubscription(`${name}-g`, topic, { expressionType: "SQL92", expression: "a >" });
      expect(await refusedWith(bad)).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    });

    test("sends, pops and acks; each receipt handle names the broker", async () => {
      const topic = `${name}-basic`;
      await f.createTopic(topic);
      const sent = [];
      for (let i = 0; i < 3; i++)
        sent.push(await b.sendMessage(f.brokerName, { ...outgoing(topic, i), queueId: i }));
      expect(sent.map((s) => s.sendStatus)).toEqual(["SEND_OK", "SEND_OK", "SEND_OK"]);
      expect(sent.map((s) => s.queueId)).toEqual([0, 1, 2]);
      const r = await popAll(topic, `${name}-g1`, 5000);
      expect(r.popStatus).toBe("FOUND");
      const got = r.messages.sort((x, y) => x.queueId - y.queueId);
      expect(got.length).toBe(3);
      for (let i = 0; i < 3; i++) {
        expect(new TextDecoder().decode(got[i].body)).toBe(`body ${i}`);
        expect(got[i].properties).toMatchObject({ TAGS: `tag${i}`, KEYS: `key${i}`, color: "blue" });
        expect(got[i].properties.UNIQ_KEY).toBe(sent[i].msgId);
        expect(got[i].topic).toBe(topic);
        expect(got[i].reconsumeTimes).toBe(0);
        expect(readReceiptHandle(got[i].receiptHandle)).toMatchObject({
          brokerName: f.brokerName,
          queueId: i,
        });
      }
      for (const m of got)
        await b.ackMessage(f.brokerName, {
          consumerGroup: `${name}-g1`,
          topic,
          receiptHandle: m.receiptHandle,
        });
      f.advance(6000);
      expect(await f.revive()).toBe(0);
    });

    test("a pop with nothing to read answers NO_NEW_MSG once its poll time is over", async () => {
      await f.createTopic(`${name}-empty`);
      const r = await popAll(`${name}-empty`, `${name}-g2`, 5000, 200);
      expect(r).toEqual({ popStatus: "NO_NEW_MSG", messages: [] });
    });

    test("an unacked message comes back with reconsumeTimes 1 and its topic restored", async () => {
      const topic = `${name}-revive`;
      await f.createTopic(topic);
      await b.sendMessage(f.brokerName, outgoing(topic, 0));
      const [first] = (await popAll(topic, `${name}-g3`, 1000)).messages;
      expect(first.reconsumeTimes).toBe(0);
      f.advance(1500);
      expect(await f.revive()).toBe(1);
      const [again] = (await popAll(topic, `${name}-g3`, 5000)).messages;
      expect(again.properties.UNIQ_KEY).toBe(first.properties.UNIQ_KEY);
      expect(again.reconsumeTimes).toBe(1);
      expect(again.topic).toBe(topic);
      await b.ackMessage(f.brokerName, {
        consumerGroup: `${name}-g3`,
        topic,
        receiptHandle: again.receiptHandle,
      });
    });

    test("changeInvisibleTime answers a new handle, which is the one to ack", async () => {
      const topic = `${name}-change`;
      await f.createTopic(topic);
      await b.sendMessage(f.brokerName, outgoing(topic, 0));
      const [m] = (await popAll(topic, `${name}-g4`, 5000)).messages;
      const next = await b.changeInvisibleTime(f.brokerName, {
        consumerGroup: `${name}-g4`,
        topic,
        receiptHandle: m.receiptHandle,
        invisibleTime: 20_000,
      });
      expect(next).not.toBe(m.receiptHandle);
      expect(readReceiptHandle(next)).toMatchObject({ brokerName: f.brokerName, invisibleTime: 20_000 });
      await b.ackMessage(f.brokerName, { consumerGroup: `${name}-g4`, topic, receiptHandle: next });
      f.advance(30_000);
      expect(await f.revive()).toBe(0);
    });

    test("forwards a message to the group's dead letter queue and acks it", async () => {
      const topic = `${name}-dlq`;
      await f.createTopic(topic);
      await b.sendMessage(f.brokerName, outgoing(topic, 0));
      const [m] = (await popAll(topic, `${name}-g5`, 5000)).messages as PoppedMessage[];
      await b.forwardToDeadLetterQueue(f.brokerName, {
        consumerGroup: `${name}-g5`,
        topic,
        receiptHandle: m.receiptHandle,
        msgId: m.properties.UNIQ_KEY,
      });
      expect(await b.getMaxOffset(f.brokerName, { topic: `%DLQ%${name}-g5`, queueId: 0 })).toBe(1);
      f.advance(6000);
      expect(await f.revive()).toBe(0);
    });

    test("pulls by offset and keeps consumer offsets", async () => {
      const topic = `${name}-pull`;
      await f.createTopic(topic);
      for (let i = 0; i < 3; i++) await b.sendMessage(f.brokerName, outgoing(topic, i));
      const q = { topic, queueId: 0 };
      expect(await b.getMinOffset(f.brokerName, q)).toBe(0);
      expect(await b.getMaxOffset(f.brokerName, q)).toBe(3);
      const r = await b.pullMessage(f.brokerName, {
        consumerGroup: `${name}-g6`,
        topic,
        queueId: 0,
        queueOffset: 1,
        maxMsgNums: 10,
        filter: all,
        pollTime: 0,
      });
      expect(r.pullStatus).toBe("FOUND");
      expect(r.messages.map((m) => new TextDecoder().decode(m.body))).toEqual(["body 1", "body 2"]);
      expect(r.nextBeginOffset).toBe(3);
      const none = await b.pullMessage(f.brokerName, {
        consumerGroup: `${name}-g6`,
        topic,
        queueId: 0,
        queueOffset: 3,
        maxMsgNums: 10,
        filter: all,
        pollTime: 0,
      });
      expect(none.pullStatus).toBe("NO_NEW_MSG");
      expect(await b.queryConsumerOffset(f.brokerName, `${name}-g6`, q)).toBeUndefined();
      await b.updateConsumerOffset(f.brokerName, `${name}-g6`, q, 2);
      expect(await b.queryConsumerOffset(f.brokerName, `${name}-g6`, q)).toBe(2);
      expect(await b.searchOffset(f.brokerName, q, 0)).toBe(0);
    });

    test("a FIFO group gets one queue's messages in order, the next only after the previous is acked", async () => {
      const topic = `${name}-fifo-order`;
      const group = `${name}-fifo-g`;
      await f.createTopic(topic, "FIFO");
      await f.createGroup(group, true);
      for (let i = 0; i < 3; i++)
        await b.sendMessage(f.brokerName, { ...outgoing(topic, i, { __SHARDINGKEY: "g1" }), queueId: 1 });
      const pop = () =>
        b.popMessage(f.brokerName, {
          consumerGroup: group,
          topic,
          queueId: -1,
          maxMsgNums: 1,
          invisibleTime: 5000,
          pollTime: 0,
          filter: all,
          order: true,
          initMode: 0,
        });
      const bodies = [];
      for (let i = 0; i < 3; i++) {
        const [m] = (await pop()).messages;
        bodies.push(new TextDecoder().decode(m.body));
        expect((await pop()).messages).toEqual([]);
        await b.ackMessage(f.brokerName, { consumerGroup: group, topic, receiptHandle: m.receiptHandle });
      }
      expect(bodies).toEqual(["body 0", "body 1", "body 2"]);
    });

    test("a committed half message reaches consumers; a rolled-back one never does", async () => {
      const topic = `${name}-tx`;
      await f.createTopic(topic, "TRANSACTION");
      const half = (i: number) =>
        b.sendMessage(f.brokerName, outgoing(topic, i, { TRAN_MSG: "true", PGROUP: topic }));
      const committed = await half(0);
      const rolledBack = await half(1);
      expect(committed.transactionId).toBeString();
      expect((await popAll(topic, `${name}-g7`, 5000)).messages).toEqual([]);
      for (const [sent, commit] of [
        [committed, true],
        [rolledBack, false],
      ] as const)
        await b.endTransaction(f.brokerName, {
          topic,
          producerGroup: topic,
          msgId: sent.msgId,
          transactionId: sent.transactionId!,
          commit,
          fromTransactionCheck: false,
        });
      const got = (await popAll(topic, `${name}-g7`, 5000, 1000)).messages;
      expect(got.map((m) => new TextDecoder().decode(m.body))).toEqual(["body 0"]);
      expect(got[0].properties.UNIQ_KEY).toBe(committed.msgId);
    });

    test("asks a registered producer to resolve an open half message", async () => {
      const topic = `${name}-txcheck`;
      await f.createTopic(topic, "TRANSACTION");
      const checks: TransactionCheck[] = [];
      const stop = b.onTransactionCheck((c) => {
        if (c.producerGroup === topic) checks.push(c);
      });
      try {
        await b.registerClient({ clientId: `${name}-producer`, producerGroups: [topic], consumerGroups: [] });
        const sent = await b.sendMessage(
          f.brokerName,
          outgoing(topic, 0, { TRAN_MSG: "true", PGROUP: topic }),
        );
        await waitFor(() => checks.length > 0);
        const c = checks[0];
        expect(c.brokerName).toBe(f.brokerName);
        expect(c.message.properties.UNIQ_KEY).toBe(sent.msgId);
        expect(c.message.topic).toBe(topic);
        await b.endTransaction(f.brokerName, {
          topic,
          producerGroup: topic,
          msgId: sent.msgId,
          transactionId: c.transactionId,
          commit: true,
          fromTransactionCheck: true,
        });
        const got = (await popAll(topic, `${name}-g8`, 5000, 1000)).messages;
        expect(got.map((m) => m.properties.UNIQ_KEY)).toEqual([sent.msgId]);
      } finally {
        stop();
        await b.unregisterClient(`${name}-producer`);
      }
    });

    test("recalls a timer message before it is due; it is never delivered, and a second recall is refused", async () => {
      const topic = `${name}-recall`;
      await f.createTopic(topic, "DELAY");
      const recalled = await b.sendMessage(f.brokerName, outgoing(topic, 0, { TIMER_DELAY_SEC: "30" }));
      const kept = await b.sendMessage(f.brokerName, outgoing(topic, 1, { TIMER_DELAY_SEC: "31" }));
      expect(recalled.recallHandle).toBeString();
      expect(kept.recallHandle).toBeString();
      expect(await b.recallMessage(f.brokerName, topic, recalled.recallHandle!)).toBe(recalled.msgId);
      expect(await refusedWith(b.recallMessage(f.brokerName, topic, recalled.recallHandle!))).toBe(
        ResponseCode.NO_MESSAGE,
      );
      expect(await refusedWith(b.recallMessage(f.brokerName, `${name}-basic`, kept.recallHandle!))).toBe(
        ResponseCode.INVALID_PARAMETER,
      );
      // Both are due once the clock passes 31 s; only the one not recalled arrives.
      f.advance(60_000);
      const got: PoppedMessage[] = [];
      await waitFor(
        () => got.length > 0,
        5000,
        async () => {
          got.push(...(await popAll(topic, `${name}-g9`, 5000)).messages);
        },
      );
      expect(got.map((m) => m.properties.UNIQ_KEY)).toEqual([kept.msgId]);
      let stored = 0;
      for (let queueId = 0; queueId < 4; queueId++)
        stored += await b.getMaxOffset(f.brokerName, { topic, queueId });
      expect(stored).toBe(1);
    });

    test("ackMessages acks several handles at once and refuses bad ones each on its own", async () => {
      const topic = `${name}-batch`;
      const group = `${name}-g10`;
      await f.createTopic(topic);
      for (let i = 0; i < 4; i++) await b.sendMessage(f.brokerName, outgoing(topic, i));
      const got = (await popAll(topic, group, 5000)).messages.sort((x, y) => x.queueOffset - y.queueOffset);
      expect(got.length).toBe(4);
      const parts = got[1].receiptHandle.split(" ");
      parts[7] = "99"; // same checkpoint, an offset it never handed out
      const errors = await b.ackMessages(f.brokerName, {
        consumerGroup: group,
        topic,
        receiptHandles: [
          got[0].receiptHandle,
          "garbage",
          parts.join(" "),
          got[2].receiptHandle,
          got[0].receiptHandle,
        ],
      });
      expect(errors.map((e) => e?.code)).toEqual([
        undefined,
        ResponseCode.INVALID_PARAMETER,
        ResponseCode.INVALID_PARAMETER,
        undefined,
        undefined,
      ]);
      f.advance(6000);
      await f.revive(); // the count includes other cases' messages: the pop below is what tells
      const again = (await popAll(topic, group, 5000)).messages;
      expect(again.map((m) => m.properties.UNIQ_KEY).sort()).toEqual(
        [got[1], got[3]].map((m) => m.properties.UNIQ_KEY).sort(),
      );
      expect(
        await b.ackMessages(f.brokerName, {
          consumerGroup: group,
          topic,
          receiptHandles: again.map((m) => m.receiptHandle),
        }),
      ).toEqual([undefined, undefined]);
      expect(
        await refusedWith(
          b.ackMessages(`not-${f.brokerName}`, {
            consumerGroup: group,
            topic,
            receiptHandles: ["0 0 0 0 0 x 0 0"],
          }),
        ),
      ).toBe(ResponseCode.BROKER_NOT_EXIST);
    });

    test("refuses a receipt handle that is not this broker's or is garbage", async () => {
      const topic = `${name}-basic`;
      const foreign = `0 ${Date.now()} 5000 0 0 not-${f.brokerName} 0 0 0`;
      expect(
        await refusedWith(
          b.ackMessage(`not-${f.brokerName}`, { consumerGroup: "g", topic, receiptHandle: foreign }),
        ),
      ).toBe(ResponseCode.BROKER_NOT_EXIST);
      const garbage = await refusedWith(
        b.ackMessage(f.brokerName, { consumerGroup: `${name}-g1`, topic, receiptHandle: "garbage" }),
      );
      expect(garbage).toBe(ResponseCode.INVALID_PARAMETER);
    });
  });
}
