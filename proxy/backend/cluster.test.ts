import { describe, expect, test } from "bun:test";
import { createRemotingClient, createRequest } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { removeDir, startBroker, startNameServer, testLogger } from "../../tests/harness.ts";
import { caseBrokerConfig, runBackendCases } from "./backend.cases.ts";
import { createClusterBackend } from "./cluster.ts";

// A real nameserver and a real broker over remoting; the broker runs in this process only so that the suite can
// move its clock and run its revive pass (topics and groups are created through its admin API, then registered).
runBackendCases("cluster", async () => {
  let skew = 0;
  const nameServer = await startNameServer();
  const running = await startBroker({
    namesrvAddr: nameServer.addr,
    config: caseBrokerConfig,
    options: { clock: () => Date.now() + skew, reviveIntervalMs: 0 },
  });
  const api = running.broker.api;
  const backend = createClusterBackend({
    namesrvAddr: nameServer.addr,
    routeRefreshIntervalMillis: 60_000,
    requestTimeoutMillis: 3000,
    logger: testLogger,
  });
  // The backend learns broker addresses from routes: give it one before the first group lookup.
  await api.createTopic({ topic: "cluster-bootstrap", readQueueNums: 1, writeQueueNums: 1 });
  await running.broker.registerNow();
  await backend.getTopicRoute("cluster-bootstrap");
  return {
    backend,
    brokerName: running.broker.identity().brokerName,
    async createTopic(topic, messageType = "NORMAL") {
      await api.createTopic({ topic, readQueueNums: 4, writeQueueNums: 4, messageType });
      await running.broker.registerNow();
    },
    async createGroup(groupName, consumeMessageOrderly) {
      await api.createSubscriptionGroup({ groupName, consumeMessageOrderly });
    },
    advance(ms) {
      skew += ms;
    },
    revive: () => running.broker.revive(),
    async close() {
      await backend.close();
      await running.close();
      await nameServer.close();
      removeDir(running.dir);
    },
  };
});

describe("cluster backend heartbeats", () => {
  test("re-announces its clients to a broker that restarted, without waiting for the SDK's heartbeat", async () => {
    const nameServer = await startNameServer();
    let running = await startBroker({ namesrvAddr: nameServer.addr });
    const port = running.broker.port;
    const backend = createClusterBackend({
      namesrvAddr: nameServer.addr,
      routeRefreshIntervalMillis: 60_000,
      requestTimeoutMillis: 3000,
      brokerHeartbeatIntervalMillis: 100,
      logger: testLogger,
    });
    const remoting = createRemotingClient({});
    const producerKnown = async () => {
      const res = await remoting.invoke(
        running.addr,
        createRequest(RequestCode.GET_PRODUCER_CONNECTION_LIST, { producerGroup: "hb-topic" }),
      );
      return res.code === ResponseCode.SUCCESS;
    };
    try {
      await running.broker.api.createTopic({ topic: "hb-topic", readQueueNums: 1, writeQueueNums: 1 });
      await running.broker.registerNow();
      await backend.getTopicRoute("hb-topic");
      await backend.registerClient({ clientId: "c1", producerGroups: ["hb-topic"], consumerGroups: [] });
      expect(await producerKnown()).toBe(true);

      await running.close();
      running = await startBroker({
        namesrvAddr: nameServer.addr,
        dir: running.dir,
        config: { listenPort: port },
      });
      const deadline = Date.now() + 5000;
      while (!(await producerKnown())) {
        if (Date.now() > deadline) throw new Error("the restarted broker never heard of the producer again");
        await Bun.sleep(50);
      }
    } finally {
      remoting.close();
      await backend.close();
      await running.close();
      await nameServer.close();
      removeDir(running.dir);
    }
  });
});
