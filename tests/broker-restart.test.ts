import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRemotingClient, createRequest, readHeader } from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import {
  type AliOnsClient,
  createTopicOverRemoting,
  removeDir,
  spawnAliOns,
  spawnRole,
  startBroker,
  startNameServer,
  tempDir,
  waitFor,
  waitForRoute,
} from "./harness.ts";

const client = createRemotingClient();
const dirs: string[] = [];
const children: AliOnsClient[] = [];
afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  client.close();
  for (const d of dirs) removeDir(d);
});

const enc = new TextEncoder();

describe("broker restart", () => {
  test("a broker reopened on the same directory keeps topics, messages and consumer offsets (ali-ons clients)", async () => {
    const ns = await startNameServer();
    const dir = tempDir("bunmq-restart-");
    dirs.push(dir);
    let broker = await startBroker({ namesrvAddr: ns.addr, dir });
    try {
      await createTopicOverRemoting(client, broker.addr, "RestartTopic", 2, ns.addr);
      const run = (opts: Record<string, unknown>) => {
        const c = spawnAliOns({ nameSrv: ns.addr, topic: "RestartTopic", tags: ["T"], ...opts });
        children.push(c);
        return c;
      };
      const produce = async (bodyPrefix: string) => {
        const p = run({
          mode: "produce",
          group: "PG",
          count: 20,
          keyPrefix: "k",
          bodyPrefix,
          instanceName: `p-${bodyPrefix}`,
        });
        await waitFor("the producer", () => p.of("done").length > 0 || p.of("fatal").length > 0, 30_000);
        expect(p.of("fatal")).toEqual([]);
      };

      await produce("before-");
      const c1 = run({ mode: "consume", group: "RG", instanceName: "c1" });
      await waitFor("20 messages", () => c1.of("msg").length >= 20, 30_000);
      expect(await c1.stop()).toBe(0);

      await broker.close();
      // the broker unregistered on close: the nameserver no longer routes the topic to it
      const route = await client.invoke(
        ns.addr,
        createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: "RestartTopic" }),
      );
      expect(route.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
      broker = await startBroker({ namesrvAddr: ns.addr, dir });
      await waitForRoute(client, ns.addr, "RestartTopic", broker.addr);

      expect((await broker.broker.api.getTopicConfig("RestartTopic"))?.readQueueNums).toBe(2);
      let stored = 0;
      for (const queueId of [0, 1]) {
        stored += await broker.broker.api.getMaxOffset("RestartTopic", queueId);
        const r = await client.invoke(
          broker.addr,
          createRequest(RequestCode.QUERY_CONSUMER_OFFSET, {
            consumerGroup: "RG",
            topic: "RestartTopic",
            queueId,
          }),
        );
        expect(r.code).toBe(ResponseCode.SUCCESS);
        expect(readHeader(r, { offset: "long" }).offset).toBe(
          await broker.broker.api.getMaxOffset("RestartTopic", queueId),
        );
      }
      expect(stored).toBe(20);

      await produce("after-");
      const c2 = run({ mode: "consume", group: "RG", instanceName: "c2" });
      await waitFor("the 20 new messages", () => c2.of("msg").length >= 20, 30_000);
      expect(c2.of("msg").every((m) => String(m.body).startsWith("after-"))).toBe(true);
      expect(c2.of("msg").length).toBe(20);
    } finally {
      await broker.close();
      await ns.close();
    }
  }, 90_000);

  test("`bun run broker -c broker.conf` serves, exits 0 on SIGTERM after a clean close, and restarts with its data", async () => {
    const dir = tempDir("bunmq-bin-broker-");
    dirs.push(dir);
    const conf = join(dir, "broker.conf");
    writeFileSync(
      conf,
      [
        "brokerName=broker-bin",
        "listenPort=0",
        "bindAddress=127.0.0.1",
        "brokerIP1=127.0.0.1",
        `storePathRootDir=${join(dir, "store")}`,
        "mappedFileSizeCommitLog=4194304",
        "someUnknownKey=1",
      ].join("\n"),
    );
    const start = async () => {
      const child = spawnRole("broker", ["-c", conf]);
      const line = await child.waitForLine(/listening on/);
      const addr = /address (\S+),/.exec(line)?.[1];
      expect(addr).toMatch(/^127\.0\.0\.1:\d+$/);
      return { child, addr: addr! };
    };

    let { child, addr } = await start();
    const created = await client.invoke(
      addr,
      createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
        topic: "BinTopic",
        readQueueNums: 1,
        writeQueueNums: 1,
        perm: 6,
      }),
    );
    expect(created.code).toBe(ResponseCode.SUCCESS);
    const sent = await client.invoke(
      addr,
      createRequest(
        RequestCode.SEND_MESSAGE_V2,
        { a: "PG", b: "BinTopic", e: 0, f: 0, g: Date.now(), h: 0, i: "" },
        enc.encode("durable"),
      ),
    );
    expect(sent.code).toBe(ResponseCode.SUCCESS);
    const update = await client.invoke(
      addr,
      createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, {
        consumerGroup: "BG",
        topic: "BinTopic",
        queueId: 0,
        commitOffset: 1,
      }),
    );
    expect(update.code).toBe(ResponseCode.SUCCESS);
    expect(await child.stop()).toBe(0);
    expect(existsSync(join(dir, "store", "config", "topics.json"))).toBe(true);
    const saved = JSON.parse(readFileSync(join(dir, "store", "config", "consumerOffset.json"), "utf8"));
    expect(saved.offsetTable["BinTopic@BG"]).toEqual({ "0": 1 });

    ({ child, addr } = await start());
    const pull = (extra: Record<string, unknown>) =>
      client.invoke(
        addr,
        createRequest(RequestCode.PULL_MESSAGE, {
          consumerGroup: "BG",
          topic: "BinTopic",
          queueId: 0,
          queueOffset: 0,
          maxMsgNums: 4,
          ...extra,
        }),
      );
    const pulled = await pull({ sysFlag: 0 });
    // no SUBSCRIPTION flag and no heartbeat: the broker does not know the subscription
    expect(pulled.code).toBe(ResponseCode.SUBSCRIPTION_NOT_EXIST);
    const pulled2 = await pull({ sysFlag: 4, subscription: "*" });
    expect(pulled2.code).toBe(ResponseCode.SUCCESS);
    expect(new TextDecoder().decode(pulled2.body)).toContain("durable");
    const offset = await client.invoke(
      addr,
      createRequest(RequestCode.QUERY_CONSUMER_OFFSET, {
        consumerGroup: "BG",
        topic: "BinTopic",
        queueId: 0,
      }),
    );
    expect(readHeader(offset, { offset: "long" }).offset).toBe(1);
    expect(await child.stop()).toBe(0);
  }, 60_000);
});
