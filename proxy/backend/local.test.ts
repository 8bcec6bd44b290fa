import { removeDir, startBroker } from "../../tests/harness.ts";
import { caseBrokerConfig, runBackendCases } from "./backend.cases.ts";
import { createLocalBackend } from "./local.ts";

runBackendCases("local", async () => {
  let skew = 0;
  const running = await startBroker({
    config: caseBrokerConfig,
    options: { clock: () => Date.now() + skew, reviveIntervalMs: 0 },
  });
  const api = running.broker.api;
  const backend = createLocalBackend({ broker: api });
  return {
    backend,
    brokerName: running.broker.identity().brokerName,
    async createTopic(topic, messageType = "NORMAL") {
      await api.createTopic({ topic, readQueueNums: 4, writeQueueNums: 4, messageType });
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
      removeDir(running.dir);
    },
  };
});
