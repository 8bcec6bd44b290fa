import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRemotingClient, createRequest, readHeader } from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import {
  type AliOnsClient,
  createTopicOverRemoting,
  type RunningBroker,
  type RunningNameServer,
  removeDir,
  spawnAliOns,
  startBroker,
  startNameServer,
  waitFor,
} from "./harness.ts";

/*
 * The classic deployment: real ali-ons 3.12 clients (Node 20 child processes) talk remoting straight to our
 * nameserver and broker. Topics are created first, as with mqadmin: ali-ons cannot send to a topic the nameserver
 * does not know.
 */

const TOPIC = "AliOnsTopic";
const TAGS = ["TagA", "TagB", "TagC"];
const COUNT = 1000;

let ns: RunningNameServer;
let broker: RunningBroker;
const client = createRemotingClient();
const children: AliOnsClient[] = [];

beforeAll(async () => {
  ns = await startNameServer();
  // one-second delay levels, so send-back retries come back within the test
  broker = await startBroker({
    namesrvAddr: ns.addr,
    config: { messageDelayLevel: Array(18).fill("1s").join(" ") },
  });
  await createTopicOverRemoting(client, broker.addr, TOPIC, 4, ns.addr);
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  client.close();
  await broker.close();
  await ns.close();
  removeDir(broker.dir);
});

function consumer(
  instanceName: string,
  group: string,
  expression = "*",
  extra: Record<string, unknown> = {},
) {
  const c = spawnAliOns({
    mode: "consume",
    nameSrv: ns.addr,
    topic: TOPIC,
    group,
    expression,
    instanceName,
    ...extra,
  });
  children.push(c);
  return c;
}

async function produce(count: number, bodyPrefix: string, topic = TOPIC) {
  const p = spawnAliOns({
    mode: "produce",
    nameSrv: ns.addr,
    topic,
    group: "AliOnsProducer",
    count,
    tags: TAGS,
    keyPrefix: `${bodyPrefix}key-`,
    bodyPrefix,
    instanceName: `producer-${bodyPrefix}`,
  });
  children.push(p);
  await waitFor("the producer to finish", () => p.of("done").length > 0 || p.of("fatal").length > 0, 60_000);
  expect(p.of("fatal")).toEqual([]);
  return p.of("sent");
}

const bodies = (c: AliOnsClient) => c.of("msg").map((m) => m.body as string);
const lastAssignment = (c: AliOnsClient) => (c.of("assignment").at(-1)?.queues as number[] | undefined) ?? [];

describe("ali-ons against the broker directly", () => {
  test("two consumers of one group share the queues and consume every message exactly once; a tag filter group gets only its tag", async () => {
    const a = consumer("consumer-a", "SharedGroup");
    const b = consumer("consumer-b", "SharedGroup");
    const tagged = consumer("consumer-tag", "TagGroup", "TagA");
    // the group has settled once the two consumers own disjoint halves of the 4 queues
    await waitFor(
      "the two consumers to split the queues",
      () => {
        const qa = lastAssignment(a);
        const qb = lastAssignment(b);
        return qa.length === 2 && qb.length === 2 && new Set([...qa, ...qb]).size === 4;
      },
      30_000,
    );
    await waitFor("the tag consumer to own all queues", () => lastAssignment(tagged).length === 4, 30_000);

    const sent = await produce(COUNT, "m");
    expect(sent.length).toBe(COUNT);
    expect(new Set(sent.map((s) => s.queueId)).size).toBe(4);
    expect(sent.every((s) => s.status === "SEND_OK")).toBe(true);

    await waitFor("all messages to be consumed", () => bodies(a).length + bodies(b).length >= COUNT, 60_000);
    const expectedTagA = sent.filter((s) => s.tag === "TagA").length;
    await waitFor("the TagA messages", () => bodies(tagged).length >= expectedTagA, 60_000);

    const all = [...bodies(a), ...bodies(b)];
    expect(all.length).toBe(COUNT);
    expect(new Set(all).size).toBe(COUNT);
    expect(bodies(a).length).toBeGreaterThan(0);
    expect(bodies(b).length).toBeGreaterThan(0);
    for (const m of a.of("msg")) expect(lastAssignment(a)).toContain(m.queueId);
    const msg = a.of("msg")[0]!;
    expect(msg.keys).toBe(`mkey-${msg.body.slice(1)}`);
    expect(TAGS).toContain(msg.tags);

    expect(bodies(tagged).length).toBe(expectedTagA);
    expect(tagged.of("msg").every((m) => m.tags === "TagA")).toBe(true);
    expect(new Set(bodies(tagged)).size).toBe(expectedTagA);

    // the broker's view: committed offsets reach the queue ends once the consumers persist them
    await waitFor(
      "SharedGroup's offsets to be committed",
      async () => {
        let behind = 0;
        for (let queueId = 0; queueId < 4; queueId++) {
          const r = await client.invoke(
            broker.addr,
            createRequest(RequestCode.QUERY_CONSUMER_OFFSET, {
              consumerGroup: "SharedGroup",
              topic: TOPIC,
              queueId,
            }),
          );
          const max = await broker.broker.api.getMaxOffset(TOPIC, queueId);
          behind += max - Number(readHeader(r, { offset: "long" }).offset);
        }
        return behind === 0;
      },
      15_000,
    );

    // a consumer restarted resumes from its committed offset: only new messages arrive
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
    expect(a.of("closed").length).toBe(1);
    const c = consumer("consumer-c", "SharedGroup");
    await waitFor("the restarted consumer to own all queues", () => lastAssignment(c).length === 4, 30_000);
    await produce(100, "n");
    await waitFor("the new messages", () => bodies(c).length >= 100, 30_000);
    expect(bodies(c).length).toBe(100);
    expect(bodies(c).every((body) => body.startsWith("n"))).toBe(true);
  }, 120_000);

  test("a message the consumer fails is sent back, redelivered through %RETRY%group, then dead-lettered", async () => {
    const topic = "AliOnsRetryTopic";
    await createTopicOverRemoting(client, broker.addr, topic, 1, ns.addr);
    const c = consumer("consumer-retry", "RetryGroup", "*", {
      topic,
      failBodies: ["r1"],
      maxReconsumeTimes: 1,
    });
    await waitFor("the retry consumer to own the queue", () => lastAssignment(c).length === 1, 30_000);
    await produce(2, "r", topic);
    await waitFor(
      "two deliveries of r1",
      () => c.of("msg").filter((m) => m.body === "r1").length >= 2,
      30_000,
    );
    const deliveries = c.of("msg").filter((m) => m.body === "r1");
    expect(deliveries.map((m) => m.reconsumeTimes)).toEqual([0, 1]);
    expect(deliveries.every((m) => m.topic === topic)).toBe(true);
    expect(c.of("msg").filter((m) => m.body === "r0").length).toBe(1);
    const dlq = await waitFor(
      "the DLQ",
      async () => {
        const r = await broker.broker.api.pull({
          consumerGroup: "inspector",
          topic: "%DLQ%RetryGroup",
          queueId: 0,
          queueOffset: 0,
          maxMsgNums: 8,
        });
        return r.messages.length > 0 ? r.messages : undefined;
      },
      15_000,
    );
    expect(dlq.map((m) => new TextDecoder().decode(m.body))).toEqual(["r1"]);
    expect(dlq[0]!.properties.RETRY_TOPIC).toBe(topic);
  }, 60_000);
});
