import { afterEach, describe, expect, test } from "bun:test";
import type { BrokerLiveInfo, BrokerSetState, LeaseStore } from "./lease-store.ts";

/**
 * The contract every LeaseStore keeps, run by memory.test.ts and redis.test.ts. Stores run on real time here
 * (leases of tens of ms), so both implementations face exactly the same cases.
 */
export interface LeaseStoreCaseTarget {
  /** A fresh, empty store; `close` releases it. */
  newStore(): Promise<{ store: LeaseStore; close(): Promise<void> }>;
}

export function brokerSet(brokerName: string, patch: Partial<BrokerSetState> = {}): BrokerSetState {
  return {
    clusterName: "DefaultCluster",
    brokerName,
    masterBrokerId: null,
    masterEpoch: 0,
    syncStateSet: [],
    syncStateSetEpoch: 0,
    nextAssignBrokerId: 2,
    replicas: [{ brokerId: 1, brokerAddress: "127.0.0.1:10911", registerCheckCode: "127.0.0.1:10911;1" }],
    ...patch,
  };
}

export function liveInfo(
  brokerName: string,
  brokerId: number,
  patch: Partial<BrokerLiveInfo> = {},
): BrokerLiveInfo {
  return {
    clusterName: "DefaultCluster",
    brokerName,
    brokerId,
    brokerAddr: `127.0.0.1:${10000 + brokerId}`,
    epoch: 1,
    maxOffset: 100,
    confirmOffset: 90,
    electionPriority: 5,
    heartbeatTimeoutMillis: 10_000,
    lastUpdateTimestamp: 1_700_000_000_000,
    ...patch,
  };
}

async function waitFor(condition: () => Promise<boolean>, deadlineMs = 3000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${deadlineMs} ms`);
    await Bun.sleep(10);
  }
}

export function runLeaseStoreCases(name: string, target: LeaseStoreCaseTarget): void {
  describe(`LeaseStore cases: ${name}`, () => {
    const opened: Array<() => Promise<void>> = [];
    const open = async () => {
      const { store, close } = await target.newStore();
      opened.push(close);
      return store;
    };
    afterEach(async () => {
      for (const close of opened.splice(0)) await close();
    });

    test("an unknown broker set reads as undefined and is not listed", async () => {
      const store = await open();
      await store.ping();
      expect(await store.getBrokerSet("broker-a")).toBeUndefined();
      expect(await store.listBrokerSets()).toEqual([]);
    });

    test("creates a broker set only where none exists (expected version 0)", async () => {
      const store = await open();
      const state = brokerSet("broker-a");
      expect(await store.putBrokerSet("broker-a", 0, state)).toBe(true);
      const read = await store.getBrokerSet("broker-a");
      expect(read?.value).toEqual(state);
      expect(read?.version).toBeGreaterThan(0);
      expect(await store.putBrokerSet("broker-a", 0, brokerSet("broker-a", { masterEpoch: 9 }))).toBe(false);
      expect((await store.getBrokerSet("broker-a"))?.value).toEqual(state);
      expect(await store.listBrokerSets()).toEqual(["broker-a"]);
    });

    test("compare-and-set refuses a stale version and accepts the current one", async () => {
      const store = await open();
      await store.putBrokerSet("broker-a", 0, brokerSet("broker-a"));
      const v1 = (await store.getBrokerSet("broker-a"))!.version;
      const elected = brokerSet("broker-a", { masterBrokerId: 1, masterEpoch: 1, syncStateSet: [1] });
      expect(await store.putBrokerSet("broker-a", v1, elected)).toBe(true);
      const after = await store.getBrokerSet("broker-a");
      expect(after?.value).toEqual(elected);
      expect(after?.version).not.toBe(v1);
      // a writer that read v1 lost the race
      expect(await store.putBrokerSet("broker-a", v1, brokerSet("broker-a", { masterEpoch: 7 }))).toBe(false);
      expect((await store.getBrokerSet("broker-a"))?.value).toEqual(elected);
    });

    test("of two concurrent writers from the same version exactly one wins", async () => {
      const store = await open();
      await store.putBrokerSet("broker-a", 0, brokerSet("broker-a"));
      const { version } = (await store.getBrokerSet("broker-a"))!;
      const results = await Promise.all(
        [1, 2, 3, 4].map((id) =>
          store.putBrokerSet(
            "broker-a",
            version,
            brokerSet("broker-a", { masterBrokerId: id, masterEpoch: 1 }),
          ),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true) + 1;
      expect((await store.getBrokerSet("broker-a"))?.value.masterBrokerId).toBe(winner);
    });

    test("deletes with the current version only, and versions never repeat after a delete", async () => {
      const store = await open();
      await store.putBrokerSet("broker-a", 0, brokerSet("broker-a"));
      await store.putBrokerSet("broker-b", 0, brokerSet("broker-b"));
      const first = (await store.getBrokerSet("broker-a"))!.version;
      expect(await store.putBrokerSet("broker-a", first + 1000, null)).toBe(false);
      expect(await store.putBrokerSet("broker-a", first, null)).toBe(true);
      expect(await store.getBrokerSet("broker-a")).toBeUndefined();
      expect(await store.listBrokerSets()).toEqual(["broker-b"]);
      expect(await store.putBrokerSet("broker-a", 0, brokerSet("broker-a"))).toBe(true);
      const second = (await store.getBrokerSet("broker-a"))!.version;
      expect(second).not.toBe(first);
      expect(await store.putBrokerSet("broker-a", first, null)).toBe(false);
      expect(await store.listBrokerSets()).toEqual(["broker-a", "broker-b"]);
    });

    test("a value read out is a copy: changing it changes nothing stored", async () => {
      const store = await open();
      await store.putBrokerSet("broker-a", 0, brokerSet("broker-a", { syncStateSet: [1] }));
      const read = (await store.getBrokerSet("broker-a"))!.value as unknown as { syncStateSet: number[] };
      read.syncStateSet.push(99);
      expect((await store.getBrokerSet("broker-a"))?.value.syncStateSet).toEqual([1]);
    });

    test("keeps odd broker names, large offsets and many replicas intact", async () => {
      const store = await open();
      const name = "broker:a b/ü";
      const state = brokerSet(name, {
        replicas: [1, 2, 3].map((id) => ({
          brokerId: id,
          brokerAddress: `10.0.0.${id}:10911`,
          registerCheckCode: `10.0.0.${id}:10911;${id}`,
        })),
        syncStateSet: [1, 2, 3],
        nextAssignBrokerId: 4,
      });
      expect(await store.putBrokerSet(name, 0, state)).toBe(true);
      expect((await store.getBrokerSet(name))?.value).toEqual(state);
      await store.renewBrokerLease(liveInfo(name, 2, { maxOffset: Number.MAX_SAFE_INTEGER }));
      const live = await store.liveBrokers(name, [1, 2, 3]);
      expect([...live.keys()]).toEqual([2]);
      expect(live.get(2)?.maxOffset).toBe(Number.MAX_SAFE_INTEGER);
      // "broker:a" id "b/ü..." must not collide with another name's lease
      expect((await store.liveBrokers("broker", [2])).size).toBe(0);
    });

    test("a renewed lease reports the heartbeat's fields; brokers without one are not live", async () => {
      const store = await open();
      const info = liveInfo("broker-a", 1);
      await store.renewBrokerLease(info);
      const live = await store.liveBrokers("broker-a", [1, 2]);
      expect([...live.keys()]).toEqual([1]);
      expect(live.get(1)).toEqual(info);
      expect((await store.liveBrokers("broker-b", [1])).size).toBe(0);
      expect((await store.liveBrokers("broker-a", [])).size).toBe(0);
    });

    test("a lease expires after its heartbeat timeout unless renewed", async () => {
      const store = await open();
      await store.renewBrokerLease(liveInfo("broker-a", 1, { heartbeatTimeoutMillis: 40 }));
      await store.renewBrokerLease(liveInfo("broker-a", 2, { heartbeatTimeoutMillis: 40 }));
      // broker 2 renews with a long lease: it stays, broker 1 goes
      await store.renewBrokerLease(liveInfo("broker-a", 2, { heartbeatTimeoutMillis: 60_000 }));
      await waitFor(async () => !(await store.liveBrokers("broker-a", [1])).has(1));
      expect([...(await store.liveBrokers("broker-a", [1, 2])).keys()]).toEqual([2]);
    });

    test("epoch and maxOffset only move forward while a lease lives", async () => {
      const store = await open();
      await store.renewBrokerLease(liveInfo("broker-a", 1, { epoch: 2, maxOffset: 100, confirmOffset: 80 }));
      // a late heartbeat from an older epoch: liveness and address are renewed, progress is not lowered
      await store.renewBrokerLease(
        liveInfo("broker-a", 1, { epoch: 1, maxOffset: 500, confirmOffset: 400, brokerAddr: "10.0.0.9:1" }),
      );
      let info = (await store.liveBrokers("broker-a", [1])).get(1);
      expect(info).toMatchObject({ epoch: 2, maxOffset: 100, confirmOffset: 80, brokerAddr: "10.0.0.9:1" });
      await store.renewBrokerLease(liveInfo("broker-a", 1, { epoch: 2, maxOffset: 90 }));
      expect((await store.liveBrokers("broker-a", [1])).get(1)?.maxOffset).toBe(100);
      await store.renewBrokerLease(liveInfo("broker-a", 1, { epoch: 2, maxOffset: 200, confirmOffset: 150 }));
      info = (await store.liveBrokers("broker-a", [1])).get(1);
      expect(info).toMatchObject({ epoch: 2, maxOffset: 200, confirmOffset: 150 });
      await store.renewBrokerLease(liveInfo("broker-a", 1, { epoch: 3, maxOffset: 10, confirmOffset: 5 }));
      expect((await store.liveBrokers("broker-a", [1])).get(1)).toMatchObject({ epoch: 3, maxOffset: 10 });
    });

    test("after a lease expired, a restarted broker starts from what it reports", async () => {
      const store = await open();
      await store.renewBrokerLease(
        liveInfo("broker-a", 1, { epoch: 5, maxOffset: 900, heartbeatTimeoutMillis: 30 }),
      );
      await waitFor(async () => (await store.liveBrokers("broker-a", [1])).size === 0);
      await store.renewBrokerLease(liveInfo("broker-a", 1, { epoch: 1, maxOffset: 10 }));
      expect((await store.liveBrokers("broker-a", [1])).get(1)).toMatchObject({ epoch: 1, maxOffset: 10 });
    });
  });
}
