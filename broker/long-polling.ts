/** How a held request ended. */
export type WakeReason = "arrived" | "timeout" | "closed";

/** A queue a held request waits on; queueId -1 = any queue of the topic. */
export interface PollTarget {
  topic: string;
  queueId: number;
}

interface Waiter {
  targets: PollTarget[];
  resolve: (reason: WakeReason) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Holds pull and pop requests that found nothing until a message is dispatched to one of their queues, their
 * timeout passes or the broker closes (RocketMQ's PullRequestHoldService / PopLongPollingService). The broker
 * calls `notify` from the store's dispatch listener.
 *
 * To close the gap between "read found nothing" and "start waiting", callers take `version(targets)` before
 * reading and pass it to `wait`: a dispatch in between makes `wait` return at once.
 */
export class LongPolling {
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** The waits of each signal: one abort listener per signal (a connection's), not one per held request. */
  private readonly bySignal = new WeakMap<AbortSignal, Set<Waiter>>();
  /** Per topic, dispatch counters: [0] counts every queue (queueId -1), [queueId + 1] one queue. */
  private readonly versions = new Map<string, number[]>();
  private closed = false;

  /** A number that changes whenever a message is dispatched to one of `targets`. */
  version(targets: readonly PollTarget[]): number {
    let v = 0;
    for (const t of targets) v = (v + (this.versions.get(t.topic)?.[t.queueId + 1] ?? 0)) | 0;
    return v;
  }

  /**
   * Waits for a dispatch to one of `targets` after `seenVersion` (from `version`). An aborted `signal` (the
   * client went away) ends the wait like a timeout.
   */
  wait(
    targets: readonly PollTarget[],
    timeoutMs: number,
    seenVersion: number,
    signal?: AbortSignal,
  ): Promise<WakeReason> {
    if (this.closed) return Promise.resolve("closed");
    if (this.version(targets) !== seenVersion) return Promise.resolve("arrived");
    if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve("timeout");
    return new Promise((resolve) => {
      const topics = [...new Set(targets.map((t) => t.topic))];
      const held = signal ? this.heldBy(signal) : undefined;
      const waiter: Waiter = {
        targets: [...targets],
        resolve: (reason) => {
          clearTimeout(waiter.timer);
          held?.delete(waiter);
          for (const topic of topics) {
            const set = this.waiters.get(topic);
            if (!set) continue;
            set.delete(waiter);
            if (set.size === 0) this.waiters.delete(topic);
          }
          resolve(reason);
        },
        timer: setTimeout(() => waiter.resolve("timeout"), timeoutMs),
      };
      held?.add(waiter);
      for (const topic of topics) {
        let set = this.waiters.get(topic);
        if (!set) {
          set = new Set();
          this.waiters.set(topic, set);
        }
        set.add(waiter);
      }
    });
  }

  /** A message was dispatched to `topic`/`queueId`: wake the requests waiting on it. */
  notify(topic: string, queueId: number): void {
    // Per dispatched message: one Map lookup, no key string built.
    let counts = this.versions.get(topic);
    if (!counts) {
      counts = [];
      this.versions.set(topic, counts);
    }
    counts[0] = ((counts[0] ?? 0) + 1) | 0;
    if (queueId >= 0) counts[queueId + 1] = ((counts[queueId + 1] ?? 0) + 1) | 0;
    const set = this.waiters.get(topic);
    if (!set) return;
    for (const w of [...set])
      if (w.targets.some((t) => t.topic === topic && (t.queueId === queueId || t.queueId === -1)))
        w.resolve("arrived");
  }

  /** Number of held requests (for runtime info). */
  get size(): number {
    const all = new Set<Waiter>();
    for (const set of this.waiters.values()) for (const w of set) all.add(w);
    return all.size;
  }

  /** The set of waits `signal` ends, with its one abort listener added the first time. */
  private heldBy(signal: AbortSignal): Set<Waiter> {
    let held = this.bySignal.get(signal);
    if (!held) {
      const waits = new Set<Waiter>();
      held = waits;
      this.bySignal.set(signal, waits);
      signal.addEventListener("abort", () => {
        for (const w of [...waits]) w.resolve("timeout");
      });
    }
    return held;
  }

  close(): void {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w.resolve("closed");
    this.waiters.clear();
  }
}
