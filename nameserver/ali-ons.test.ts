import { afterEach, describe, expect, test } from "bun:test";
// ali-ons is plain CommonJS without types; its MQClientAPI is what its producers and consumers use for routes.
// @ts-expect-error no type declarations
import MQClientAPI from "ali-ons/lib/mq_client_api.js";
import { createRemotingClient, defaultTopicConfig, registerBrokerAll } from "../proto/remoting/index.ts";
import { createNameServer } from "./index.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };

describe("ali-ons 3.12 against the nameserver", () => {
  test("parses our route JSON and sees TOPIC_NOT_EXIST as such", async () => {
    const ns = createNameServer({ host: "127.0.0.1", listenPort: 0 });
    const addr = `127.0.0.1:${await ns.start()}`;
    cleanups.push(() => ns.close());
    const broker = createRemotingClient();
    cleanups.push(() => broker.close());
    for (const [brokerId, brokerAddr] of [
      [0, "127.0.0.1:10911"],
      [1, "127.0.0.1:10921"],
    ] as const) {
      const [outcome] = await registerBrokerAll(broker, [addr], {
        clusterName: "DefaultCluster",
        brokerName: "broker-a",
        brokerAddr,
        brokerId,
        haServerAddr: "127.0.0.1:10912",
        topicConfigTable: { TopicTest: { ...defaultTopicConfig, topicName: "TopicTest", writeQueueNums: 4 } },
        dataVersion: { stateVersion: 0, timestamp: 1, counter: 1 },
      });
      expect(outcome.ok).toBe(true);
    }

    const api = new MQClientAPI({
      nameSrv: addr,
      httpclient: {},
      logger: quietLogger,
      responseTimeout: 3000,
    });
    cleanups.push(() => api.close());
    await api.ready();
    const route = await api.getTopicRouteInfoFromNameServer("TopicTest", 3000);
    expect(route.brokerDatas[0].brokerAddrs).toEqual({ "0": "127.0.0.1:10911", "1": "127.0.0.1:10921" });
    // ali-ons picks the master by brokerAddrs[MixAll.MASTER_ID] (0) and checks writability via perm
    expect(route.queueDatas[0]).toMatchObject({ brokerName: "broker-a", writeQueueNums: 4, perm: 6 });

    let error: { name?: string; code?: number } | undefined;
    try {
      await api.getTopicRouteInfoFromNameServer("NoSuchTopic", 3000);
    } catch (err) {
      error = err as typeof error;
    }
    expect(error?.name).toBe("MQClientException");
    expect(error?.code).toBe(17);
  });
});
