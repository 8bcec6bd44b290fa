import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FilterExpression, Producer, type SimpleConsumer } from "rocketmq-client-nodejs";
import { FilterType } from "../proto/v2.ts";
import { type Backend, createClusterBackend, createProxy, type ProxyServer } from "../proxy/index.ts";
import {
  receiveAndAckInOrder,
  receiveN as receiveMessages,
  startSimpleConsumer,
} from "./fixtures/semantics/sdk-clients.ts";
import {
  closeBrokerAndNameServer,
  type RunningBroker,
  type RunningNameServer,
  reopenBroker,
  startBroker,
  startNameServer,
  testLogger,
} from "./harness.ts";
import { sdkLogger, testProxyConfig, testProxyLimits } from "./proxy-harness.ts";

/*
 * Issue 7 across a restart of the broker alone, behind a Cluster-mode proxy (nameserver + broker over remoting):
 * the proxy stays up and must reach the new broker (same store, same port) on its own; the official SDK keeps
 * its connection to the proxy. Delayed, unacked and FIFO messages stored before the restart are served after it,
 * and a filter still selects exactly the matching ones. (Transaction check-back after a broker restart is not
 * asserted here: in Cluster mode the proxy re-registers its producers with the broker only when the SDK's
 * 10-second Heartbeat comes, so the check-back is late; see tests/semantics-grpc.test.ts for Local mode.)
 */

let ns: RunningNameServer;
let broker: RunningBroker;
let backend: Backend;
let proxy: ProxyServer;
const clients: { shutdown(): Promise<void> }[] = [];
const brokerConfig = {};
const brokerOptions = { reviveIntervalMs: 100, scheduleIntervalMs: 50 };

beforeAll(async () => {
  ns = await startNameServer();
  broker = await startBroker({ namesrvAddr: ns.addr, config: brokerConfig, options: brokerOptions });
  const api = broker.broker.api;
  await api.createTopic({ topic: "cl-delay", messageType: "DELAY" });
  await api.createTopic({ topic: "cl-fifo", messageType: "FIFO" });
  await api.createSubscriptionGroup({ groupName: "cl-fifo-g", consumeMessageOrderly: true });
  await api.createTopic({ topic: "cl-normal" });
  await api.createTopic({ topic: "cl-multi" });
  await broker.broker.registerNow();
  backend = createClusterBackend({
    namesrvAddr: ns.addr,
    routeRefreshIntervalMillis: 1000,
    requestTimeoutMillis: 3000,
    logger: testLogger,
  });
  proxy = createProxy({ config: testProxyConfig, limits: testProxyLimits, backend, logger: testLogger });
  await proxy.start();
});

afterAll(async () => {
  for (const c of clients) await c.shutdown().catch(() => undefined);
  await proxy.close();
  await backend.close();
  await closeBrokerAndNameServer(broker, ns);
});

const endpoint = () => `127.0.0.1:${proxy.grpcPort}`;

async function restartBroker() {
  broker = await reopenBroker(broker, { namesrvAddr: ns.addr, config: brokerConfig, options: brokerOptions });
}

async function simpleConsumer(group: string, topic: string, expression: unknown = "*") {
  const c = await startSimpleConsumer(endpoint(), group, topic, expression);
  clients.push(c);
  return c;
}

const receiveN = (c: SimpleConsumer, n: number, invisibleMs: number) =>
  receiveMessages(c, n, invisibleMs, 15_000);

describe("SDK start-up against a Cluster-mode proxy", () => {
  test("a producer with several topics starts (the proxy repeats its Settings reply)", async () => {
    const q = new Producer({
      endpoints: endpoint(),
      namespace: "",
      topics: ["cl-multi", "cl-fifo", "cl-normal"],
      logger: sdkLogger,
    });
    clients.push(q);
    const started = await Promise.race([q.startup().then(() => true), Bun.sleep(10_000).then(() => false)]);
    expect(started).toBe(true);
    const receipt = await q.send({ topic: "cl-multi", tag: "multi", body: Buffer.from("multi") });
    expect(receipt.messageId).toBeTruthy();
  }, 20_000);
});

describe("a broker restart behind a Cluster-mode proxy", () => {
  test("delayed, unacked and FIFO messages and filters all survive it", async () => {
    // one topic per producer: given several, the SDK's startup can miss a Settings reply that arrives before its
    // last QueryRoute returns, and then waits forever (Cluster mode answers QueryRoute slower than Settings)
    const plain = new Map<string, Producer>();
    for (const topic of ["cl-delay", "cl-fifo", "cl-normal"]) {
      const q = new Producer({ endpoints: endpoint(), namespace: "", topics: [topic], logger: sdkLogger });
      await q.startup();
      clients.push(q);
      plain.set(topic, q);
    }
    const delayC = await simpleConsumer("cl-delay-g", "cl-delay");
    const fifoC = await simpleConsumer("cl-fifo-g", "cl-fifo");
    const normalC = await simpleConsumer("cl-normal-g", "cl-normal");

    const due = Date.now() + 3000;
    await plain
      .get("cl-delay")!
      .send({ topic: "cl-delay", deliveryTimestamp: new Date(due), body: Buffer.from("delayed") });
    for (let i = 0; i < 3; i++)
      await plain.get("cl-fifo")!.send({ topic: "cl-fifo", messageGroup: "G", body: Buffer.from(`G${i}`) });
    for (let i = 0; i < 6; i++)
      await plain.get("cl-normal")!.send({
        topic: "cl-normal",
        tag: i % 2 ? "odd" : "even",
        properties: new Map([["n", String(i)]]),
        body: Buffer.from(`n${i}`),
      });
    // unacked before the restart: the first FIFO message, and every normal message (invisible 2 s)
    const [g0] = await receiveN(fifoC, 1, 2000);
    expect(g0.m.body.toString()).toBe("G0");
    const before = await receiveN(normalC, 6, 2000);
    expect(before.every((g) => g.m.deliveryAttempt === 1)).toBe(true);

    await restartBroker();

    const [delayed] = await receiveN(delayC, 1, 5000);
    expect(delayed.m.body.toString()).toBe("delayed");
    expect(delayed.at).toBeGreaterThanOrEqual(due);
    expect(delayed.at - due).toBeLessThanOrEqual(1000);

    const again = await receiveN(normalC, 6, 5000);
    expect(again.map((g) => g.m.body.toString()).sort()).toEqual(["n0", "n1", "n2", "n3", "n4", "n5"]);
    expect(again.every((g) => g.m.deliveryAttempt === 2)).toBe(true);
    for (const g of again) await normalC.ack(g.m);

    const order = await receiveAndAckInOrder(fifoC, 3, "the FIFO group", 15_000);
    expect(order).toEqual(["G0", "G1", "G2"]);

    const sqlC = await simpleConsumer(
      "cl-sql-g",
      "cl-normal",
      new FilterExpression("n >= 4", FilterType.SQL as never),
    );
    const filtered = await receiveN(sqlC, 2, 5000);
    expect(filtered.map((g) => g.m.body.toString()).sort()).toEqual(["n4", "n5"]);
  }, 60_000);
});
