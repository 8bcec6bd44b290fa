import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type MessageView, Producer, SimpleConsumer } from "rocketmq-client-nodejs";
import { createExampleClient, type Protocol } from "../examples/browser/client.ts";
import { type DenoChild, spawnDeno } from "./deno/spawn-deno.ts";
import {
  type RunningBroker,
  type RunningNameServer,
  removeDir,
  startBroker,
  startNameServer,
  waitFor,
} from "./harness.ts";
import { sdkLogger } from "./proxy-harness.ts";

/*
 * Issue 6's acceptance: a Cluster-mode proxy runs under Deno and passes the same send/receive/ack round trip as
 * under Bun. The nameserver and broker run here (Bun, free ports); the proxy is the real `bin/proxy.ts --mode
 * cluster` started with `deno run -A` as a child process (stopped by pid). Clients: the official Node SDK over
 * native gRPC, and connect-web (Connect and gRPC-Web) on the proxy's HTTP port. The broker's clock is ours, so
 * "the invisible time has passed" is a clock step and one revive pass, not a wait.
 */

const TOPICS = {
  sdk: "deno-sdk",
  connect: "deno-connect",
  "grpc-web": "deno-grpc-web",
  idle: "deno-idle",
} as const;
const INVISIBLE_MS = 15_000;

let ns: RunningNameServer;
let broker: RunningBroker;
let proxy: DenoChild;
let grpcEndpoint: string;
let httpUrl: string;
let skew = 0;
const clients: { shutdown(): Promise<void> }[] = [];

beforeAll(async () => {
  ns = await startNameServer();
  broker = await startBroker({
    namesrvAddr: ns.addr,
    options: { clock: () => Date.now() + skew, reviveIntervalMs: 0 },
  });
  for (const topic of Object.values(TOPICS))
    await broker.broker.api.createTopic({ topic, readQueueNums: 2, writeQueueNums: 2 });
  await broker.broker.registerNow();
  proxy = spawnDeno("bin/proxy.ts", [
    "--mode",
    "cluster",
    "-n",
    ns.addr,
    "--bindAddress",
    "127.0.0.1",
    "--advertisedAddress",
    "127.0.0.1",
    "--grpcServerPort",
    "0",
    "--httpServerPort",
    "0",
  ]);
  // bin/proxy.ts prints its endpoints once both ports serve.
  const [, grpcPort, httpPort] = await proxy.waitForLine(
    /gRPC on [^ ]+:(\d+), Connect\/gRPC-Web on http:\/\/[^ ]+:(\d+)/,
    30_000,
  );
  grpcEndpoint = `127.0.0.1:${grpcPort}`;
  httpUrl = `http://127.0.0.1:${httpPort}`;
}, 40_000);

afterAll(async () => {
  for (const c of clients) await c.shutdown().catch(() => undefined);
  const code = await proxy?.stop();
  if (code !== 0 && code !== undefined)
    console.error(`deno proxy exited ${code}\n${proxy.stderr().slice(-4000)}`);
  await broker?.close();
  await ns?.close();
  if (broker) removeDir(broker.dir);
});

/** Moves the broker's clock past the invisible time and runs one revive pass; resolves with how many came back. */
async function afterInvisibleTime(): Promise<number> {
  skew += INVISIBLE_MS + 1000;
  return broker.broker.revive();
}

describe("Cluster-mode proxy under Deno", () => {
  test("the official SDK sends, receives and acks over gRPC; only the unacked message comes back", async () => {
    const TOPIC = TOPICS.sdk;
    const producer = new Producer({
      endpoints: grpcEndpoint,
      namespace: "",
      topics: [TOPIC],
      logger: sdkLogger,
    });
    await producer.startup();
    clients.push(producer);
    const consumer = new SimpleConsumer({
      endpoints: grpcEndpoint,
      namespace: "",
      consumerGroup: "deno-sdk-g",
      subscriptions: new Map([[TOPIC, "*"]]),
      // The proxy's defaults apply (min long polling 5 s): the receive deadline must leave room for it.
      awaitDuration: 5000,
      logger: sdkLogger,
    });
    await consumer.startup();
    clients.push(consumer);

    const a = await producer.send({
      topic: TOPIC,
      tag: "TagA",
      keys: ["ka", "shared"],
      properties: new Map([["runtime", "deno"]]),
      body: Buffer.from("first through deno"),
    });
    const b = await producer.send({ topic: TOPIC, tag: "TagB", body: Buffer.from("second through deno") });

    const got: MessageView[] = [];
    await waitFor(
      "both messages",
      async () => {
        got.push(...(await consumer.receive(16, INVISIBLE_MS)));
        return got.length >= 2;
      },
      20_000,
      0,
    );
    expect(got).toHaveLength(2);
    const ma = got.find((m) => m.messageId === a.messageId)!;
    const mb = got.find((m) => m.messageId === b.messageId)!;
    expect(ma.tag).toBe("TagA");
    expect(ma.keys.sort()).toEqual(["ka", "shared"]);
    expect(ma.properties.get("runtime")).toBe("deno");
    expect(ma.body.toString()).toBe("first through deno");
    expect(ma.deliveryAttempt).toBe(1);
    expect(mb.body.toString()).toBe("second through deno");

    await consumer.ack(ma);
    expect(await afterInvisibleTime()).toBe(1);
    const again: MessageView[] = [];
    await waitFor(
      "the unacked message again",
      async () => {
        again.push(...(await consumer.receive(16, INVISIBLE_MS)));
        return again.length > 0;
      },
      20_000,
      0,
    );
    expect(again.map((m) => [m.messageId, m.deliveryAttempt])).toEqual([[b.messageId, 2]]);
    await consumer.ack(again[0]);
  }, 45_000);

  for (const protocol of ["connect", "grpc-web"] as Protocol[]) {
    test(`connect-web over ${protocol} on the HTTP port sends, receives and acks`, async () => {
      const TOPIC = TOPICS[protocol];
      const client = createExampleClient({ baseUrl: httpUrl, protocol });
      const group = `deno-${protocol}-g`;
      const a = await client.send({ topic: TOPIC, tag: "WebA", keys: ["wa"], body: `web first ${protocol}` });
      const b = await client.send({ topic: TOPIC, tag: "WebB", keys: [], body: `web second ${protocol}` });
      expect([a.code, b.code]).toEqual(["OK", "OK"]);

      const receive = () =>
        client.receive({
          consumerGroup: group,
          topic: TOPIC,
          invisibleMillis: INVISIBLE_MS,
          longPollingMillis: 5000,
          batchSize: 16,
        });
      const first = await receive();
      expect(first.code).toBe("OK");
      const ids = first.messages.map((m) => m.messageId).sort();
      expect(ids).toEqual([a.messageId, b.messageId].sort());
      const ma = first.messages.find((m) => m.messageId === a.messageId)!;
      expect([ma.tag, ma.keys, ma.body, ma.deliveryAttempt]).toEqual([
        "WebA",
        ["wa"],
        `web first ${protocol}`,
        1,
      ]);

      expect((await client.ack(group, ma)).code).toBe("OK");
      expect(await afterInvisibleTime()).toBe(1);
      const again = await receive();
      expect(again.code).toBe("OK");
      expect(again.messages.map((m) => [m.messageId, m.deliveryAttempt])).toEqual([[b.messageId, 2]]);
      expect((await client.ack(group, again.messages[0])).code).toBe("OK");
    }, 30_000);
  }

  test("holds a silent long poll past 10 s on the HTTP port and ends it with MESSAGE_NOT_FOUND", async () => {
    // 12 s of silence: more than Bun.serve's default idle cut-off (10 s), the trap long polling falls into.
    const client = createExampleClient({ baseUrl: httpUrl, protocol: "connect" });
    const started = Date.now();
    const r = await client.receive({
      consumerGroup: "deno-idle-g",
      topic: TOPICS.idle,
      invisibleMillis: INVISIBLE_MS,
      longPollingMillis: 12_000,
      batchSize: 1,
    });
    expect([r.code, r.messages]).toEqual(["MESSAGE_NOT_FOUND", []]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(11_000);
  }, 30_000);
});
