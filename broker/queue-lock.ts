/** A queue as clients name it in LOCK_BATCH_MQ / UNLOCK_BATCH_MQ bodies. */
export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

export interface QueueLockOptions {
  clock?: () => number;
  /** A lock not renewed for this long is free again (RebalanceLockManager: 60 s). */
  expiryMs?: number;
}

export const defaultQueueLockOptions: Readonly<Required<Omit<QueueLockOptions, "clock">>> = Object.freeze({
  expiryMs: 60_000,
});

export interface QueueLockTable {
  /** Locks (or renews) every queue that is free, expired or already held by `clientId`; returns those. */
  tryLockBatch(group: string, clientId: string, mqs: MessageQueue[]): MessageQueue[];
  unlockBatch(group: string, clientId: string, mqs: MessageQueue[]): void;
  isLockedBy(group: string, mq: MessageQueue, clientId: string): boolean;
}

/** Orderly consumers' per-queue locks (RocketMQ's RebalanceLockManager). */
export function createQueueLockTable(options: QueueLockOptions = {}): QueueLockTable {
  const clock = options.clock ?? Date.now;
  const expiryMs = options.expiryMs ?? defaultQueueLockOptions.expiryMs;
  const groups = new Map<string, Map<string, { clientId: string; lastUpdate: number }>>();
  const keyOf = (mq: MessageQueue) => `${mq.topic}\u0001${mq.brokerName}\u0001${mq.queueId}`;

  const holderOf = (group: string, mq: MessageQueue) => {
    const entry = groups.get(group)?.get(keyOf(mq));
    if (!entry || clock() - entry.lastUpdate > expiryMs) return undefined;
    return entry;
  };

  return {
    tryLockBatch(group, clientId, mqs) {
      let table = groups.get(group);
      if (!table) {
        table = new Map();
        groups.set(group, table);
      }
      const locked: MessageQueue[] = [];
      const now = clock();
      for (const mq of mqs) {
        const holder = holderOf(group, mq);
        if (holder && holder.clientId !== clientId) continue;
        table.set(keyOf(mq), { clientId, lastUpdate: now });
        locked.push(mq);
      }
      return locked;
    },
    unlockBatch(group, clientId, mqs) {
      const table = groups.get(group);
      if (!table) return;
      for (const mq of mqs) {
        const key = keyOf(mq);
        if (table.get(key)?.clientId === clientId) table.delete(key);
      }
      if (table.size === 0) groups.delete(group);
    },
    isLockedBy(group, mq, clientId) {
      return holderOf(group, mq)?.clientId === clientId;
    },
  };
}
