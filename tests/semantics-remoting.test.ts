import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRemotingClient, createRequest, decodeJsonBody } from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import {
  type AliOnsProcess,
  assignedQueues,
  produceWithAliOns,
  spawnAliOnsConsumer,
} from "./fixtures/semantics/ali-ons.ts";
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
 * Issue 7 on the remoting path with real ali-ons 3.12 clients (Node 20 child processes) straight to our
 * nameserver and broker: delay levels, __STARTDELIVERTIME / TIMER_DELIVER_MS timers, TAG and SQL92 filters,
 * bad input, and each again across a broker restart (same store, same port; the nameserver stays up).
 * Short delay levels ("1s 2s 3s") keep the file quick.
 */

const LEVELS_MS = [1000, 2000, 3000];
let ns: RunningNameServer;
let broker: RunningBroker;
const client = createRemotingClient();
const children: AliOnsProcess[] = [];
const brokerConfig = { messageDelayLevel: "1s 2s 3s", timerMaxDelaySec: 3600 };

beforeAll(async () => {
  ns = await startNameServer();
  broker = await startBroker({ namesrvAddr: ns.addr, config: brokerConfig });
  for (const [topic, queues] of [
    ["SemDelay", 2],
    ["SemDelayR", 2],
    ["SemFilter", 1],
    ["SemFilterR", 1],
  ] as const)
    await createTopicOverRemoting(client, broker.addr, topic, queues, ns.addr);
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  client.close();
  await closeBrokerAndNameServer(broker, ns);
});

/** Closes the broker and opens a new one on the same store and port; the nameserver learns it again. */
async function restartBroker() {
  broker = await reopenBroker(broker, { namesrvAddr: ns.addr, config: brokerConfig });
}

function consumer(group: string, topic: string, extra: Record<string, unknown> = {}) {
  const c = spawnAliOnsConsumer(ns.addr, group, topic, extra);
  children.push(c);
  return c;
}

async function readyConsumer(
  group: string,
  topic: string,
  queues: number,
  extra: Record<string, unknown> = {},
) {
  const c = consumer(group, topic, extra);
  await waitFor(`${group} to own the queues`, () => assignedQueues(c).length === queues, 30_000);
  return c;
}

const msgsOf = (c: AliOnsProcess) => c.of("msg");
const bodiesOf = (c: AliOnsProcess) => msgsOf(c).map((m) => m.body as string);

/** The original store time of a delayed message (it stays in SCHEDULE_TOPIC_XXXX under its offset msgId). */
const storedAt = async (msgId: string) => (await broker.broker.api.viewMessage(msgId)).storeTimestamp;

/** Each delayed message arrived no earlier than it was due and within 1 s after. */
function expectOnTime(c: AliOnsProcess, due: Map<string, number>) {
  for (const [body, at] of due) {
    const m = msgsOf(c).find((x) => x.body === body);
    expect(m).toBeDefined();
    expect(m!.at).toBeGreaterThanOrEqual(at);
    expect(m!.at - at).toBeLessThanOrEqual(1000);
  }
}

describe("delay levels and timers (ali-ons)", () => {
  test("delay levels and __STARTDELIVERTIME / TIMER_DELIVER_MS arrive no earlier than due and within 1 s after", async () => {
    const c = await readyConsumer("SemDelayG", "SemDelay", 2);
    const at = Date.now();
    const sent = await produceWithAliOns(ns.addr, [
      { topic: "SemDelay", body: "level-1", delayLevel: 1 },
      { topic: "SemDelay", body: "level-2", delayLevel: 2 },
      { topic: "SemDelay", body: "start-deliver", startDeliverTime: at + 1500 },
      { topic: "SemDelay", body: "timer-deliver", props: { TIMER_DELIVER_MS: String(at + 2500) } },
      { topic: "SemDelay", body: "now" },
    ]);
    expect(sent.map((s) => s.event)).toEqual(["sent", "sent", "sent", "sent", "sent"]);
    const due = new Map([
      ["level-1", (await storedAt(sent[0]!.msgId)) + LEVELS_MS[0]!],
      ["level-2", (await storedAt(sent[1]!.msgId)) + LEVELS_MS[1]!],
      ["start-deliver", at + 1500],
      ["timer-deliver", at + 2500],
    ]);
    await waitFor("every delayed message", () => msgsOf(c).length >= 5, 15_000);
    expectOnTime(c, due);
    expect(bodiesOf(c).sort()).toEqual(["level-1", "level-2", "now", "start-deliver", "timer-deliver"]);
  }, 30_000);

  test("a delay level out of range and a delivery time past timerMaxDelaySec are refused with clear errors; nothing is stored", async () => {
    const before = [
      await broker.broker.api.getMaxOffset("SemDelay", 0),
      await broker.broker.api.getMaxOffset("SemDelay", 1),
    ];
    const sent = await produceWithAliOns(ns.addr, [
      { topic: "SemDelay", body: "level-4", delayLevel: 4 },
      { topic: "SemDelay", body: "too-far", startDeliverTime: Date.now() + 2 * 3600_000 },
      { topic: "SemDelay", body: "bad-timer", props: { TIMER_DELIVER_MS: "tomorrow" } },
    ]);
    expect(sent.map((s) => s.event)).toEqual(["send-error", "send-error", "send-error"]);
    expect(sent[0]!.message).toContain("delay level 4 is out of range: messageDelayLevel has levels 1..3");
    expect(sent[1]!.message).toContain("beyond the maximum delay of 3600000 ms");
    expect(sent[2]!.message).toContain("TIMER_DELIVER_MS=tomorrow is not an integer");
    expect([
      await broker.broker.api.getMaxOffset("SemDelay", 0),
      await broker.broker.api.getMaxOffset("SemDelay", 1),
    ]).toEqual(before);
  }, 30_000);

  test("delayed and timer messages survive a broker restart and still arrive on time", async () => {
    const c = await readyConsumer("SemDelayRG", "SemDelayR", 2);
    const at = Date.now();
    const sent = await produceWithAliOns(ns.addr, [
      { topic: "SemDelayR", body: "level-3", delayLevel: 3 },
      { topic: "SemDelayR", body: "start-deliver", startDeliverTime: at + 3000 },
    ]);
    expect(sent.map((s) => s.event)).toEqual(["sent", "sent"]);
    const due = new Map([
      ["level-3", (await storedAt(sent[0]!.msgId)) + LEVELS_MS[2]!],
      ["start-deliver", at + 3000],
    ]);
    await restartBroker();
    await waitFor("the delayed messages after the restart", () => msgsOf(c).length >= 2, 15_000);
    expectOnTime(c, due);
    expect(bodiesOf(c).sort()).toEqual(["level-3", "start-deliver"]);
  }, 30_000);
});

describe("filters on the broker (ali-ons)", () => {
  const filterSet = (topic: string, prefix: string) =>
    Array.from({ length: 12 }, (_, n) => ({
      topic,
      body: `${prefix}${n}`,
      tag: ["TagA", "TagB", "TagC"][n % 3]!,
      props: { color: n % 2 ? "red" : "blue", n: String(n) },
    }));
  const marker = (topic: string) => ({
    topic,
    body: "marker",
    tag: "TagA",
    props: { color: "red", n: "100" },
  });
  const tagMatch = (m: { tag: string }) => m.tag !== "TagC";
  const sqlMatch = (m: { props: { color: string; n: string } }) =>
    m.props.color === "red" && Number(m.props.n) > 4;

  test("a tag expression (TagA || TagB) and an SQL92 expression deliver exactly the matching messages", async () => {
    const set = filterSet("SemFilter", "f");
    const tags = await readyConsumer("SemFilterTagG", "SemFilter", 1, { expression: "TagA || TagB" });
    const sql = await readyConsumer("SemFilterSqlG", "SemFilter", 1, {
      expression: { expressionType: "SQL92", subString: "color = 'red' AND n > 4" },
    });
    await produceWithAliOns(ns.addr, [...set, marker("SemFilter")]);
    // one queue: the marker (matched by both) comes after everything sent before it
    await waitFor(
      "the marker",
      () => bodiesOf(tags).includes("marker") && bodiesOf(sql).includes("marker"),
      15_000,
    );
    expect(bodiesOf(tags)).toEqual([...set.filter(tagMatch).map((m) => m.body), "marker"]);
    expect(bodiesOf(sql)).toEqual([...set.filter(sqlMatch).map((m) => m.body), "marker"]);
  }, 40_000);

  test("after a broker restart, new filtered consumers get exactly the matching stored messages", async () => {
    const set = filterSet("SemFilterR", "r");
    await produceWithAliOns(ns.addr, [...set, marker("SemFilterR")]);
    await restartBroker();
    // new groups start at the queue's beginning (offset 0), so they see what was stored before the restart
    const sql = consumer("SemFilterRSqlG", "SemFilterR", {
      expression: { expressionType: "SQL92", subString: "color = 'red' AND n > 4" },
    });
    const tags = consumer("SemFilterRTagG", "SemFilterR", { expression: "TagA || TagB" });
    await waitFor(
      "the marker",
      () => bodiesOf(tags).includes("marker") && bodiesOf(sql).includes("marker"),
      30_000,
    );
    expect(bodiesOf(tags)).toEqual([...set.filter(tagMatch).map((m) => m.body), "marker"]);
    expect(bodiesOf(sql)).toEqual([...set.filter(sqlMatch).map((m) => m.body), "marker"]);
  }, 40_000);

  test("an illegal SQL92 subscription is refused at subscribe time with an error naming the problem", async () => {
    // ali-ons: its heartbeat is refused (the consumer is not registered), and its start fails naming the problem
    const bad = consumer("SemFilterBadG", "SemFilter", {
      expression: { expressionType: "SQL92", subString: "color = " },
    });
    const fatal = await waitFor("the consumer to fail", () => bad.of("fatal")[0], 15_000);
    expect(fatal.message).toContain("consumer group SemFilterBadG to topic SemFilter");
    expect(fatal.message).toMatch(/SQL92 parse error at \d+: expected a value after '='/);
    expect(bad.of("msg")).toEqual([]);

    // a Java push consumer checks each SQL92 subscription with CHECK_CLIENT_CONFIG before it starts
    const check = (subString: string) =>
      client.invoke(
        broker.addr,
        createRequest(
          RequestCode.CHECK_CLIENT_CONFIG,
          { clientId: "java-client", group: "SemJavaG" },
          new TextEncoder().encode(
            JSON.stringify({
              clientId: "java-client",
              group: "SemJavaG",
              subscriptionData: {
                topic: "SemFilter",
                subString,
                expressionType: "SQL92",
                tagsSet: [],
                codeSet: [],
              },
            }),
          ),
        ),
      );
    const refused = await check("a > 'x' OR");
    expect(refused.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    expect(refused.remark).toContain("consumer group SemJavaG to topic SemFilter");
    expect(refused.remark).toMatch(/SQL92 parse error at \d+/);
    expect((await check("a > 5")).code).toBe(ResponseCode.SUCCESS);

    // a heartbeat carrying a good and a bad consumer registers the good one and names the bad one
    const hb = await client.invoke(
      broker.addr,
      createRequest(
        RequestCode.HEART_BEAT,
        {},
        new TextEncoder().encode(
          JSON.stringify({
            clientID: "java-client",
            producerDataSet: [],
            consumerDataSet: ["SemHbGoodG", "SemHbBadG"].map((groupName) => ({
              groupName,
              consumeType: "CONSUME_PASSIVELY",
              messageModel: "CLUSTERING",
              consumeFromWhere: "CONSUME_FROM_LAST_OFFSET",
              subscriptionDataSet: [
                {
                  topic: "SemFilter",
                  subString: groupName === "SemHbBadG" ? "color = = 'red'" : "color = 'red'",
                  expressionType: "SQL92",
                  tagsSet: [],
                  codeSet: [],
                  subVersion: 1,
                },
              ],
            })),
          }),
        ),
      ),
    );
    expect(hb.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    expect(hb.remark).toContain("consumer group SemHbBadG to topic SemFilter");
    const good = await client.invoke(
      broker.addr,
      createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: "SemHbGoodG" }),
    );
    expect(good.code).toBe(ResponseCode.SUCCESS);
    expect(decodeJsonBody(good.body, "ids")).toEqual({ consumerIdList: ["java-client"] });
  }, 30_000);
});
