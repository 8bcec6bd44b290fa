/** A timer as the store hands it back: what the broker needs to find and re-put the original message. */
export interface TimerEntry {
  /** The timer's identity in the timer log (the position of its first record). */
  readonly id: number;
  /** Delivery time, ms since the epoch: the entry is never handed out before it. */
  readonly deliverAtMs: number;
  /** Where the timer-topic copy of the message sits in the CommitLog. */
  readonly commitLogOffset: number;
  /** Its size in bytes. */
  readonly size: number;
  /** Opaque to the store (e.g. the queueId of the timer-topic copy); 0 when not given. */
  readonly queueId: number;
  /** Opaque key for cancel (e.g. the message's UNIQ_KEY); "" when not given. At most 40 UTF-8 bytes. */
  readonly key: string;
}

/** What `schedule` takes. */
export interface TimerSchedule {
  deliverAtMs: number;
  commitLogOffset: number;
  size: number;
  queueId?: number;
  key?: string;
}

/** What `cancel` takes: the key given at schedule time and, to find it fast, the same deliverAtMs. */
export interface TimerCancel {
  key: string;
  deliverAtMs?: number;
}

export interface TimerStats {
  /** Scheduled and not yet delivered, including the batch being delivered. */
  pending: number;
  /** Entries handed to the handler whose delivery is not yet recorded. */
  inFlight: number;
  /** Smallest deliverAtMs among pending entries, undefined when none. */
  oldestPendingDeliverAtMs: number | undefined;
  /** Bytes in the timer log (all segments). */
  logBytes: number;
  segments: number;
}

/** Called with due entries in deliverAt order; once it resolves they are recorded as delivered. */
export type TimerDueHandler = (entries: readonly TimerEntry[]) => Promise<void>;

export const TimerEntryState = { PENDING: 0, TAKEN: 1, DONE: 2, CANCELLED: 3 } as const;

/** The store's own view of an entry: where its latest record is, which slot it fires in, its state. */
export interface SlotEntry {
  id: number;
  deliverAtMs: number;
  commitLogOffset: number;
  size: number;
  queueId: number;
  key: string;
  /** Position of its latest SCHEDULE record (moves when compaction copies it forward). */
  pos: number;
  slotMs: number;
  state: number;
}

export function compareSlotEntries(a: SlotEntry, b: SlotEntry): number {
  return a.deliverAtMs - b.deliverAtMs || a.id - b.id;
}

export function toTimerEntry(e: SlotEntry): TimerEntry {
  return {
    id: e.id,
    deliverAtMs: e.deliverAtMs,
    commitLogOffset: e.commitLogOffset,
    size: e.size,
    queueId: e.queueId,
    key: e.key,
  };
}
