import { compareSlotEntries, type SlotEntry, TimerEntryState } from "./timer-entry.ts";

/** What one `takeDue` took: entries in firing order and the progress to record once they are delivered. */
export interface TakenBatch {
  entries: SlotEntry[];
  /** Slot of the last entry taken, and how many entries of that slot are taken so far (absolute). */
  lastSlotMs: number;
  doneInLastSlot: number;
  /** Highest log position among the entries (their records must be durable before delivery). */
  maxPos: number;
}

/**
 * The in-memory timing wheel: sparse slots keyed by their firing time (a multiple of the precision), kept in
 * a min-heap of slot times, so a 3-day span at 10 ms costs memory only for occupied slots and needs no
 * roll-over pass. A slot fires when the clock reaches its end, so no entry fires before its deliverAtMs.
 */
export interface TimerWheel {
  /** The latest slot entries were taken from: new entries must land after it (see slotFor). */
  readonly takenSlotMs: number;
  /** Slot for a new entry: the end of its precision interval, or just after takenSlotMs if that has passed. */
  slotFor(deliverAtMs: number): number;
  add(entry: SlotEntry): void;
  /** Takes up to `max` live entries from slots due at `nowMs`; undefined when no slot is due. */
  takeDue(nowMs: number, max: number): TakenBatch | undefined;
  nextSlotMs(): number | undefined;
  /** Entries of a slot not yet taken (any state: callers check). */
  untaken(slotMs: number): readonly SlotEntry[];
  forEachUntaken(visit: (entry: SlotEntry) => void): void;
  /** Smallest deliverAtMs among untaken live entries. */
  oldestDeliverAtMs(): number | undefined;
}

interface Bucket {
  entries: SlotEntry[];
  next: number;
  done: number;
  sorted: boolean;
}

function heapPush(heap: number[], value: number): void {
  let i = heap.length;
  heap.push(value);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! <= value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = value;
}

function heapPop(heap: number[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  let i = 0;
  const n = heap.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && heap[r]! < heap[l]! ? r : l;
    if (heap[c]! >= last) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = last;
}

/**
 * @param restored the last recorded progress after a restart: that slot is partly delivered, so the first
 *   `doneInSlot` of its entries are gone and counting continues from there.
 */
export function createTimerWheel(
  precisionMs: number,
  restored?: { slotMs: number; doneInSlot: number },
): TimerWheel {
  const buckets = new Map<number, Bucket>();
  const heap: number[] = [];
  let takenSlotMs = restored ? restored.slotMs : Number.NEGATIVE_INFINITY;

  function bucketOf(slotMs: number): Bucket {
    let b = buckets.get(slotMs);
    if (!b) {
      const done = restored && slotMs === restored.slotMs ? restored.doneInSlot : 0;
      b = { entries: [], next: 0, done, sorted: false };
      buckets.set(slotMs, b);
      heapPush(heap, slotMs);
    }
    return b;
  }

  return {
    get takenSlotMs() {
      return takenSlotMs;
    },

    slotFor(deliverAtMs) {
      const slot = Math.ceil(deliverAtMs / precisionMs) * precisionMs;
      // A slot at or before the one being delivered is closed: entries there would break the recorded count.
      return slot > takenSlotMs ? slot : takenSlotMs + 1;
    },

    add(entry) {
      const b = bucketOf(entry.slotMs);
      b.entries.push(entry);
      b.sorted = false;
    },

    takeDue(nowMs, max) {
      if (heap.length === 0 || heap[0]! > nowMs) return undefined;
      const entries: SlotEntry[] = [];
      let lastSlotMs = takenSlotMs;
      let doneInLastSlot = 0;
      let maxPos = -1;
      while (heap.length > 0 && heap[0]! <= nowMs && entries.length < max) {
        const slotMs = heap[0]!;
        const b = buckets.get(slotMs)!;
        if (!b.sorted) {
          // Only the untaken tail can be unsorted: a slot gets no new entries once taking from it began.
          const tail = b.entries.slice(b.next).sort(compareSlotEntries);
          for (let i = 0; i < tail.length; i++) b.entries[b.next + i] = tail[i]!;
          b.sorted = true;
        }
        takenSlotMs = slotMs;
        while (b.next < b.entries.length && entries.length < max) {
          const e = b.entries[b.next++]!;
          if (e.state !== TimerEntryState.PENDING) continue;
          e.state = TimerEntryState.TAKEN;
          entries.push(e);
          b.done++;
          if (e.pos > maxPos) maxPos = e.pos;
        }
        lastSlotMs = slotMs;
        doneInLastSlot = b.done;
        if (b.next < b.entries.length) break;
        heapPop(heap);
        buckets.delete(slotMs);
      }
      return { entries, lastSlotMs, doneInLastSlot, maxPos };
    },

    nextSlotMs() {
      return heap.length > 0 ? heap[0] : undefined;
    },

    untaken(slotMs) {
      const b = buckets.get(slotMs);
      return b ? b.entries.slice(b.next) : [];
    },

    forEachUntaken(visit) {
      for (const b of buckets.values()) {
        for (let i = b.next; i < b.entries.length; i++) visit(b.entries[i]!);
      }
    },

    oldestDeliverAtMs() {
      let oldest: number | undefined;
      const scan = (b: Bucket) => {
        for (let i = b.next; i < b.entries.length; i++) {
          const e = b.entries[i]!;
          if (e.state === TimerEntryState.PENDING && (oldest === undefined || e.deliverAtMs < oldest)) {
            oldest = e.deliverAtMs;
          }
        }
      };
      // Entries of later slots are due later, except the few moved just past a closed slot: those sit in
      // the first slot, so the first live slot holds the oldest. Fall back to a full scan if it is all gone.
      if (heap.length > 0) scan(buckets.get(heap[0]!)!);
      if (oldest === undefined) for (const b of buckets.values()) scan(b);
      return oldest;
    },
  };
}
