import { expect, test } from "bun:test";
import { liveInfo, runLeaseStoreCases } from "./lease-store.cases.ts";
import { createMemoryLeaseStore } from "./memory.ts";

runLeaseStoreCases("memory", {
  async newStore() {
    return { store: createMemoryLeaseStore(), close: async () => {} };
  },
});

test("memory leases expire by the injected clock", async () => {
  let now = 1_000;
  const store = createMemoryLeaseStore({ clock: () => now });
  await store.renewBrokerLease(liveInfo("broker-a", 1, { heartbeatTimeoutMillis: 500 }));
  now += 500; // RocketMQ: alive while last + timeout >= now
  expect((await store.liveBrokers("broker-a", [1])).size).toBe(1);
  now += 1;
  expect((await store.liveBrokers("broker-a", [1])).size).toBe(0);
});
