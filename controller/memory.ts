import type { BrokerLiveInfo, BrokerSetState, LeaseStore, Versioned } from "./lease-store.ts";

export interface MemoryLeaseStoreOptions {
  /** ms since the epoch; leases expire by it. Inject one to test liveness without waiting. */
  clock: () => number;
}

export const defaultMemoryLeaseStoreOptions: Readonly<MemoryLeaseStoreOptions> = Object.freeze({
  clock: () => Date.now(),
});

/**
 * A LeaseStore in this process only: for a single controller without Redis, and for tests that drive time.
 * Records are copied in and out so callers can never change stored state by accident.
 * @example
 * let now = 0;
 * const store = createMemoryLeaseStore({ clock: () => now });
 */
export function createMemoryLeaseStore(options: Partial<MemoryLeaseStoreOptions> = {}): LeaseStore {
  const { clock } = { ...defaultMemoryLeaseStoreOptions, ...options };
  const brokerSets = new Map<string, Versioned<BrokerSetState>>();
  const leases = new Map<string, { info: BrokerLiveInfo; expiresAt: number }>();
  let lastVersion = 0;
  const leaseKey = (brokerName: string, brokerId: number) => `${brokerName}\u0000${brokerId}`;

  const liveLease = (key: string) => {
    const lease = leases.get(key);
    if (!lease) return undefined;
    // RocketMQ: alive while last + timeout >= now
    if (lease.expiresAt < clock()) {
      leases.delete(key);
      return undefined;
    }
    return lease;
  };

  return {
    description: "memory",
    async ping() {},
    async getBrokerSet(brokerName) {
      const stored = brokerSets.get(brokerName);
      return stored ? { value: structuredClone(stored.value), version: stored.version } : undefined;
    },
    async putBrokerSet(brokerName, expectedVersion, next) {
      const current = brokerSets.get(brokerName)?.version ?? 0;
      if (current !== expectedVersion) return false;
      if (next === null) brokerSets.delete(brokerName);
      else brokerSets.set(brokerName, { value: structuredClone(next), version: ++lastVersion });
      return true;
    },
    async listBrokerSets() {
      return [...brokerSets.keys()].sort();
    },
    async renewBrokerLease(info) {
      const key = leaseKey(info.brokerName, info.brokerId);
      const prev = liveLease(key)?.info;
      const forward =
        !prev || info.epoch > prev.epoch || (info.epoch === prev.epoch && info.maxOffset > prev.maxOffset);
      const merged: BrokerLiveInfo = forward
        ? { ...info }
        : { ...info, epoch: prev.epoch, maxOffset: prev.maxOffset, confirmOffset: prev.confirmOffset };
      leases.set(key, { info: merged, expiresAt: clock() + info.heartbeatTimeoutMillis });
    },
    async liveBrokers(brokerName, brokerIds) {
      const live = new Map<number, BrokerLiveInfo>();
      for (const brokerId of brokerIds) {
        const lease = liveLease(leaseKey(brokerName, brokerId));
        if (lease) live.set(brokerId, { ...lease.info });
      }
      return live;
    },
  };
}
