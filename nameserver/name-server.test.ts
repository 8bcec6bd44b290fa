import { afterEach, describe, expect, test } from "bun:test";
import { MqError } from "../proto/error.ts";
import {
  type BrokerRegistration,
  createBrokerHeartbeatRequest,
  createRegisterBrokerRequest,
  createRemotingClient,
  createRequest,
  createUnregisterBrokerRequest,
  decodeClusterInfo,
  decodeDataVersion,
  decodeKVTable,
  decodeTopicList,
  decodeTopicRouteData,
  defaultTopicConfig,
  encodeJsonBody,
  ensureResponseCode,
  type RemotingClient,
  type RemotingCommand,
  registerBrokerAll,
  type TopicConfig,
} from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { createNameServer, type NameServer, type NameServerOptions } from "./index.ts";

const topic = (topicName: string, queues = 4): TopicConfig => ({
  ...defaultTopicConfig,
  topicName,
  readQueueNums: queues,
  writeQueueNums: queues,
});

const masterA: BrokerRegistration = {
  clusterName: "DefaultCluster",
  brokerName: "broker-a",
  brokerAddr: "127.0.0.1:10911",
  brokerId: 0,
  haServerAddr: "127.0.0.1:10912",
  topicConfigTable: { TopicTest: topic("TopicTest"), OnlyA: topic("OnlyA", 2) },
  dataVersion: { stateVersion: 0, timestamp: 1700000000000, counter: 1 },
};
const slaveA: BrokerRegistration = {
  ...masterA,
  brokerId: 1,
  brokerAddr: "127.0.0.1:20911",
  haServerAddr: "127.0.0.1:20912",
};
const masterB: BrokerRegistration = {
  clusterName: "OtherCluster",
  brokerName: "broker-b",
  brokerAddr: "127.0.0.1:30911",
  brokerId: 0,
  haServerAddr: "127.0.0.1:30912",
  topicConfigTable: { TopicTest: topic("TopicTest", 8) },
  dataVersion: { stateVersion: 0, timestamp: 1700000000000, counter: 7 },
};

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function startNameServer(
  options: Partial<NameServerOptions> = {},
): Promise<{ ns: NameServer; addr: string }> {
  const ns = createNameServer({ host: "127.0.0.1", listenPort: 0, ...options });
  const port = await ns.start();
  cleanups.push(() => ns.close());
  return { ns, addr: `127.0.0.1:${port}` };
}

function startClient(): RemotingClient {
  const client = createRemotingClient({ requestTimeoutMs: 3000 });
  cleanups.push(() => client.close());
  return client;
}

async function registerOk(client: RemotingClient, addrs: string[], reg: BrokerRegistration) {
  const outcomes = await registerBrokerAll(client, addrs, reg);
  for (const o of outcomes) if (!o.ok) throw o.error;
  return outcomes;
}

const route = async (client: RemotingClient, addr: string, topicName: string) =>
  client.invoke(addr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: topicName }));

describe("nameserver over remoting", () => {
  test("serves routes, cluster info and topic lists for two broker names", async () => {
    const { addr } = await startNameServer();
    const client = startClient();
    expect(await registerOk(client, [addr], masterA)).toEqual([{ namesrvAddr: addr, ok: true }]);
    expect(await registerOk(client, [addr], slaveA)).toEqual([
      { namesrvAddr: addr, ok: true, masterAddr: "127.0.0.1:10911", haServerAddr: "127.0.0.1:10912" },
    ]);
    await registerOk(client, [addr], masterB);

    const res = ensureResponseCode(await route(client, addr, "TopicTest"));
    const data = decodeTopicRouteData(res.body);
    expect(data.queueDatas).toEqual([
      { brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
      { brokerName: "broker-b", readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0 },
    ]);
    expect(data.brokerDatas.map((b) => [b.cluster, b.brokerName, b.brokerAddrs])).toEqual([
      ["DefaultCluster", "broker-a", { "0": "127.0.0.1:10911", "1": "127.0.0.1:20911" }],
      ["OtherCluster", "broker-b", { "0": "127.0.0.1:30911" }],
    ]);
    // standard JSON: map keys are quoted
    expect(new TextDecoder().decode(res.body)).toContain('"brokerAddrs":{"0":"127.0.0.1:10911"');

    const missing = await route(client, addr, "NoSuchTopic");
    expect(missing.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(missing.remark).toBe("No topic route info in name server for the topic: NoSuchTopic");

    const info = decodeClusterInfo(
      ensureResponseCode(await client.invoke(addr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO))).body,
    );
    expect(info.clusterAddrTable).toEqual({ DefaultCluster: ["broker-a"], OtherCluster: ["broker-b"] });
    expect(info.brokerAddrTable["broker-a"].brokerAddrs).toEqual({
      "0": "127.0.0.1:10911",
      "1": "127.0.0.1:20911",
    });

    const list = async (code: number, ext?: Record<string, string>) =>
      decodeTopicList(ensureResponseCode(await client.invoke(addr, createRequest(code, ext))).body);
    expect((await list(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)).topicList).toEqual([
      "OnlyA",
      "TopicTest",
    ]);
    expect((await list(RequestCode.GET_TOPICS_BY_CLUSTER, { cluster: "OtherCluster" })).topicList).toEqual([
      "TopicTest",
    ]);
    expect((await list(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS)).topicList.sort()).toEqual([
      "DefaultCluster",
      "OtherCluster",
      "broker-a",
      "broker-b",
    ]);
  });

  test("serves peers that send ROCKETMQ binary headers", async () => {
    const { addr } = await startNameServer();
    const client = createRemotingClient({ serializeType: "ROCKETMQ" });
    cleanups.push(() => client.close());
    await registerOk(client, [addr], masterA);
    const res = ensureResponseCode(await route(client, addr, "OnlyA"));
    expect(res.serializeType).toBe("ROCKETMQ");
    expect(decodeTopicRouteData(res.body).queueDatas[0].writeQueueNums).toBe(2);
  });

  test("unregisters brokers and deletes topics", async () => {
    const { addr } = await startNameServer();
    const client = startClient();
    await registerOk(client, [addr], masterA);
    await registerOk(client, [addr], masterB);
    ensureResponseCode(await client.invoke(addr, createUnregisterBrokerRequest(masterB)));
    const data = decodeTopicRouteData(ensureResponseCode(await route(client, addr, "TopicTest")).body);
    expect(data.brokerDatas.map((b) => b.brokerName)).toEqual(["broker-a"]);

    ensureResponseCode(
      await client.invoke(addr, createRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: "OnlyA" })),
    );
    expect((await route(client, addr, "OnlyA")).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  test("keeps KV config per namespace", async () => {
    const { addr } = await startNameServer();
    const client = startClient();
    const call = (code: number, ext: Record<string, string>) => client.invoke(addr, createRequest(code, ext));
    ensureResponseCode(await call(RequestCode.PUT_KV_CONFIG, { namespace: "ns", key: "k1", value: "v1" }));
    ensureResponseCode(await call(RequestCode.PUT_KV_CONFIG, { namespace: "ns", key: "k2", value: "värde" }));
    expect((await call(RequestCode.GET_KV_CONFIG, { namespace: "ns", key: "k2" })).extFields.value).toBe(
      "värde",
    );
    const all = ensureResponseCode(await call(RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: "ns" }));
    expect(decodeKVTable(all.body).table).toEqual({ k1: "v1", k2: "värde" });
    ensureResponseCode(await call(RequestCode.DELETE_KV_CONFIG, { namespace: "ns", key: "k1" }));
    const gone = await call(RequestCode.GET_KV_CONFIG, { namespace: "ns", key: "k1" });
    expect([gone.code, gone.remark]).toEqual([
      ResponseCode.QUERY_NOT_FOUND,
      "No config item, Namespace: ns Key: k1",
    ]);
    const none = await call(RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: "empty" });
    expect(none.code).toBe(ResponseCode.QUERY_NOT_FOUND);
  });

  test("returns order topic config to brokers and in routes when enabled", async () => {
    const { addr } = await startNameServer({ orderMessageEnable: true });
    const client = startClient();
    ensureResponseCode(
      await client.invoke(
        addr,
        createRequest(RequestCode.PUT_KV_CONFIG, {
          namespace: "ORDER_TOPIC_CONFIG",
          key: "TopicTest",
          value: "broker-a:4",
        }),
      ),
    );
    const [outcome] = await registerOk(client, [addr], masterA);
    expect(outcome).toMatchObject({ ok: true, orderTopicConfig: { TopicTest: "broker-a:4" } });
    const data = decodeTopicRouteData(ensureResponseCode(await route(client, addr, "TopicTest")).body);
    expect(data.orderTopicConf).toBe("broker-a:4");
  });

  test("expires a silent broker on the scan, with an injected clock", async () => {
    let now = 1_000_000;
    const { ns, addr } = await startNameServer({
      clock: () => now,
      brokerChannelExpiredMs: 60_000,
      scanIntervalMs: 20,
    });
    const client = startClient();
    await registerOk(client, [addr], masterA);
    await registerOk(client, [addr], { ...masterB, heartbeatTimeoutMillis: 200_000 });

    now += 59_000;
    // a BROKER_HEARTBEAT refreshes broker-a (brokers send it oneway; awaiting the answer orders it before the clock moves)
    ensureResponseCode(await client.invoke(addr, createBrokerHeartbeatRequest(masterA)));
    now += 59_000; // 118 s after registering, 59 s after the heartbeat
    expect(ns.scanNotActiveBroker()).toEqual([]);
    expect((await route(client, addr, "OnlyA")).code).toBe(ResponseCode.SUCCESS);

    now += 2_000; // broker-a: 61 s silent
    await waitFor(
      async () => (await route(client, addr, "OnlyA")).code === ResponseCode.TOPIC_NOT_EXIST,
      "broker-a to expire",
    );
    const data = decodeTopicRouteData(ensureResponseCode(await route(client, addr, "TopicTest")).body);
    expect(data.brokerDatas.map((b) => b.brokerName)).toEqual(["broker-b"]); // its own 200 s timeout

    now += 200_000;
    await waitFor(
      async () => (await route(client, addr, "TopicTest")).code === ResponseCode.TOPIC_NOT_EXIST,
      "broker-b to expire",
    );
  });

  test("QUERY_DATA_VERSION reports changes and counts as a heartbeat when unchanged", async () => {
    let now = 0;
    const { ns, addr } = await startNameServer({ clock: () => now, brokerChannelExpiredMs: 10_000 });
    const client = startClient();
    await registerOk(client, [addr], masterA);
    const query = (dataVersion: object) =>
      client.invoke(
        addr,
        createRequest(
          RequestCode.QUERY_DATA_VERSION,
          {
            brokerName: "broker-a",
            brokerAddr: masterA.brokerAddr,
            clusterName: "DefaultCluster",
            brokerId: 0,
          },
          encodeJsonBody(dataVersion),
        ),
      );
    now = 9_000;
    const same = ensureResponseCode(await query(masterA.dataVersion));
    expect(same.extFields.changed).toBe("false");
    expect(decodeDataVersion(same.body)).toEqual(masterA.dataVersion);
    const changed = ensureResponseCode(await query({ ...masterA.dataVersion, counter: 2 }));
    expect(changed.extFields.changed).toBe("true");
    now = 18_000;
    expect(ns.scanNotActiveBroker()).toEqual([]); // refreshed at 9 s
    now = 19_001;
    expect(ns.scanNotActiveBroker()).toHaveLength(1);
  });

  test("drops a broker's routes when its connection closes", async () => {
    const { addr } = await startNameServer();
    const brokerClient = createRemotingClient();
    await registerOk(brokerClient, [addr], masterA);
    const client = startClient();
    expect((await route(client, addr, "OnlyA")).code).toBe(ResponseCode.SUCCESS);
    await brokerClient.close();
    await waitFor(
      async () => (await route(client, addr, "OnlyA")).code === ResponseCode.TOPIC_NOT_EXIST,
      "the routes to go",
    );
  });

  test("several nameservers are independent and a broker registers with each", async () => {
    const one = await startNameServer();
    const two = await startNameServer();
    const client = startClient();
    const probe = createNameServer({ host: "127.0.0.1", listenPort: 0 });
    const deadAddr = `127.0.0.1:${await probe.start()}`;
    await probe.close();

    const outcomes = await registerBrokerAll(client, [one.addr, deadAddr, two.addr], masterA, 2000);
    expect(outcomes.map((o) => [o.namesrvAddr, o.ok])).toEqual([
      [one.addr, true],
      [deadAddr, false],
      [two.addr, true],
    ]);
    const failed = outcomes[1];
    expect(!failed.ok && failed.error.code).toBe(ResponseCode.RPC_SEND_TO_CHANNEL_FAILED);

    ensureResponseCode(await client.invoke(one.addr, createUnregisterBrokerRequest(masterA)));
    expect((await route(client, one.addr, "OnlyA")).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect((await route(client, two.addr, "OnlyA")).code).toBe(ResponseCode.SUCCESS);
  });

  test("shows its config and updates what may change at run time", async () => {
    const { addr } = await startNameServer({ scanIntervalMs: 5000 });
    const client = startClient();
    const get = async () =>
      new TextDecoder().decode(
        ensureResponseCode(await client.invoke(addr, createRequest(RequestCode.GET_NAMESRV_CONFIG))).body,
      );
    const update = (text: string) =>
      client.invoke(
        addr,
        createRequest(RequestCode.UPDATE_NAMESRV_CONFIG, {}, new TextEncoder().encode(text)),
      );
    expect(await get()).toContain("scanNotActiveBrokerInterval=5000\n");
    ensureResponseCode(
      await update("# comment\nscanNotActiveBrokerInterval=100\nenableAllTopicList = false\n"),
    );
    expect(await get()).toContain("scanNotActiveBrokerInterval=100\n");
    const disabled = await client.invoke(addr, createRequest(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER));
    expect([disabled.code, disabled.remark]).toEqual([ResponseCode.SYSTEM_ERROR, "disable"]);

    expect((await update("listenPort=1")).code).toBe(ResponseCode.NO_PERMISSION);
    expect((await update("kvConfigPath=/tmp/x")).code).toBe(ResponseCode.NO_PERMISSION);
    const unknown = await update("noSuchKey=1");
    expect([unknown.code, unknown.remark]).toEqual([
      ResponseCode.INVALID_PARAMETER,
      'unknown nameserver config key "noSuchKey"',
    ]);
    expect((await update("orderMessageEnable=maybe")).code).toBe(ResponseCode.INVALID_PARAMETER);
    expect((await update("scanNotActiveBrokerInterval=0")).code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(await get()).toContain("scanNotActiveBrokerInterval=100\n");
  });
});

describe("nameserver bad input", () => {
  async function expectRefusal(res: Promise<RemotingCommand>, code: number, remark: string) {
    const response = await res;
    expect(response.code).toBe(code);
    expect(response.remark).toContain(remark);
  }

  test("names missing or mistyped header keys, rejects malformed bodies, keeps serving", async () => {
    const { addr } = await startNameServer();
    const client = startClient();
    const good = createRegisterBrokerRequest(masterA);

    const { brokerAddr: _, ...withoutAddr } = good.extFields;
    await expectRefusal(
      client.invoke(addr, { ...good, extFields: withoutAddr }),
      ResponseCode.INVALID_PARAMETER,
      'header field "brokerAddr" is missing',
    );
    await expectRefusal(
      client.invoke(addr, { ...good, extFields: { ...good.extFields, brokerId: "master" } }),
      ResponseCode.INVALID_PARAMETER,
      'header field "brokerId" must be a long, got "master"',
    );
    const badJson = new TextEncoder().encode('{"topicConfigSerializeWrapper":{');
    await expectRefusal(
      client.invoke(addr, { ...good, body: badJson, extFields: { ...good.extFields, bodyCrc32: "0" } }),
      ResponseCode.INVALID_PARAMETER,
      "RegisterBrokerBody body is not valid JSON",
    );
    const wrongShape = encodeJsonBody({
      topicConfigSerializeWrapper: { topicConfigTable: { T: { perm: "rw" } } },
    });
    await expectRefusal(
      client.invoke(addr, { ...good, body: wrongShape, extFields: { ...good.extFields, bodyCrc32: "0" } }),
      ResponseCode.INVALID_PARAMETER,
      "topicConfigTable.T.perm must be a number",
    );
    await expectRefusal(
      client.invoke(addr, { ...good, body: wrongShape }), // CRC of the original body
      ResponseCode.SYSTEM_ERROR,
      "crc32 not match",
    );
    await expectRefusal(
      client.invoke(addr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC)),
      ResponseCode.INVALID_PARAMETER,
      'header field "topic" is missing',
    );
    await expectRefusal(
      client.invoke(
        addr,
        createRequest(RequestCode.QUERY_DATA_VERSION, masterA as never, new TextEncoder().encode("x")),
      ),
      ResponseCode.INVALID_PARAMETER,
      "DataVersion body is not valid JSON",
    );
    await expectRefusal(
      client.invoke(addr, createRequest(RequestCode.PUT_KV_CONFIG, { namespace: "ns", key: "k" })),
      ResponseCode.INVALID_PARAMETER,
      'header field "value" is missing',
    );
    await expectRefusal(
      client.invoke(addr, createRequest(RequestCode.SEND_MESSAGE)),
      ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
      "10",
    );

    // nothing was registered by the refused requests, and the server still works
    expect((await route(client, addr, "OnlyA")).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    await registerOk(client, [addr], masterA);
    expect((await route(client, addr, "OnlyA")).code).toBe(ResponseCode.SUCCESS);
  });

  test("registerBrokerAll reports a bad address as that nameserver's outcome instead of throwing", async () => {
    const { addr } = await startNameServer();
    const outcomes = await registerBrokerAll(startClient(), ["not an address", addr], masterA);
    const [refused, accepted] = outcomes;
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error).toBeInstanceOf(MqError);
    expect(!refused.ok && refused.error.code).toBe(ResponseCode.RPC_ADDR_IS_NULL);
    expect(accepted.ok).toBe(true);
  });
});
