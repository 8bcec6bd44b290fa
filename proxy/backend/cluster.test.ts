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
