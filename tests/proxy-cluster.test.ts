import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type MessageView, Producer, SimpleConsumer } from "rocketmq-client-nodejs";
import { AckMessageRequestSchema, Code, MessagingService } from "../proto/v2.ts";
import { type Backend, createClusterBackend, createProxy, type ProxyServer } from "../proxy/index.ts";
import {
  type RunningBroker,
  type RunningNameServer,
  removeDir,
  startBroker,
  startNameServer,
  testLogger,
  waitFor,
} from "./harness.ts";
import { sdkLogger, testProxyConfig, testProxyLimits } from "./proxy-harness.ts";

/*
 * Cluster mode end to end: a nameserver, a broker, and two proxies that share nothing (each its own remoting
 * backend). The official SDK sends and receives through one; the ack goes through the other.
 */

let ns: RunningNameServer;
let broker: RunningBroker;
let skew = 0;
const proxies: ProxyServer[] = [];
const backends: Backend[] = [];
const clients: { shutdown(): Promise<void> }[] = [];

beforeAll(async () => {
  ns = await startNameServer();
  broker = await startBroker({
    namesrvAddr: ns.addr,
    options: { clock: () => Date.now() + skew, reviveIntervalMs: 0 },
  });
  await broker.broker.api.createTopic({ topic: "cluster-e2e", readQueueNums: 2, writeQueueNums: 2 });
  await broker.broker.registerNow();
  for (let i = 0; i < 2; i++) {
    const backend = createClusterBackend({
      namesrvAddr: ns.addr,
      routeRefreshIntervalMillis: 60_000,
      requestTimeoutMillis: 3000,
      logger: testLogger,
    });
    backends.push(backend);
    const proxy = createProxy({
      config: testProxyConfig,
      limits: testProxyLimits,
      backend,
      logger: testLogger,
    });
    await proxy.start();
    proxies.push(proxy);
  }
});

afterAll(async () => {
  for (const c of clients) await c.shutdown().catch(() => undefined);
  for (const p of proxies) await p.close();
  for (const b of backends) await b.close();
  await broker.close();
  await ns.close();
  removeDir(broker.dir);
});

describe("Cluster mode", () => {
  test("the SDK sends and receives through one proxy; another proxy acks the message", async () => {
    const endpoints = `127.0.0.1:${proxies[0].grpcPort}`;
    const producer = new Producer({ endpoints, namespace: "", topics: ["cluster-e2e"], logger: sdkLogger });
    await producer.startup();
    clients.push(producer);
    const consumer = new SimpleConsumer({
      endpoints,
      namespace: "",
      consumerGroup: "cluster-e2e-g",
      subscriptions: new Map([["cluster-e2e", "*"]]),
      awaitDuration: 1000,
      logger: sdkLogger,
    });
    await consumer.startup();
    clients.push(consumer);

    const sent = await producer.send({
      topic: "cluster-e2e",
      tag: "c",
      keys: ["ck"],
      properties: new Map([["where", "cluster"]]),
      body: Buffer.from("through the nameserver"),
    });
    const got: MessageView[] = [];
    await waitFor("the message", async () => {
      got.push(...(await consumer.receive(4, 2000)));
      return got.length > 0;
    });
    const [m] = got;
    expect(m.messageId).toBe(sent.messageId);
    expect(m.tag).toBe("c");
    expect(m.keys).toEqual(["ck"]);
    expect(m.properties.get("where")).toBe("cluster");
    expect(m.body.toString()).toBe("through the nameserver");

    const other = createClient(
      MessagingService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${proxies[1].grpcPort}` }),
    );
    const ack = await other.ackMessage(
      create(AckMessageRequestSchema, {
        group: { name: "cluster-e2e-g" },
        topic: { name: "cluster-e2e" },
        entries: [{ messageId: m.messageId, receiptHandle: m.receiptHandle }],
      }),
    );
    expect(ack.status?.code).toBe(Code.OK);
    skew += 5000;
    expect(await broker.broker.revive()).toBe(0);
  }, 30_000);
});
