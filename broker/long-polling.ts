/** How a held request ended. */
export type WakeReason = "arrived" | "timeout" | "closed";

interface Waiter {
  queueId: number;
  resolve: (reason: WakeReason) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Holds pull and pop requests that found nothing until a message is dispatched to their queue, their timeout
 * passes or the broker closes (RocketMQ's PullRequestHoldService / PopLongPollingService). The broker calls
 * `notify` from the store's dispatch listener.
 *
 * To close the gap between "read found nothing" and "start waiting", callers take `version()` before reading and
 * pass it to `wait`: a dispatch in between makes `wait` return at once.
 */
export class LongPolling {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly versions = new Map<string, number>();
  private closed = false;

  /** Dispatch counter of a queue; queueId -1 counts dispatches to any queue of the topic. */
  version(topic: string, queueId: number): number {
    return this.versions.get(key(topic, queueId)) ?? 0;
  }

  /** Waits for a dispatch to `topic`/`queueId` (-1 = any queue of the topic) after `seenVersion`. */
  wait(topic: string, queueId: number, timeoutMs: number, seenVersion: number): Promise<WakeReason> {
    if (this.closed) return Promise.resolve("closed");
    if (this.version(topic, queueId) !== seenVersion) return Promise.resolve("arrived");
    if (timeoutMs <= 0) return Promise.resolve("timeout");
    return new Promise((resolve) => {
      let set = this.waiters.get(topic);
      if (!set) {
        set = new Set();
        this.waiters.set(topic, set);
      }
      const waiters = set;
      const waiter: Waiter = {
        queueId,
        resolve: (reason) => {
          clearTimeout(waiter.timer);
          waiters.delete(waiter);
          if (waiters.size === 0 && this.waiters.get(topic) === waiters) this.waiters.delete(topic);
          resolve(reason);
        },
        timer: setTimeout(() => waiter.resolve("timeout"), timeoutMs),
      };
      waiters.add(waiter);
    });
  }

  /** A message was dispatched to `topic`/`queueId`: wake the requests waiting on it. */
  notify(topic: string, queueId: number): void {
    this.bump(key(topic, queueId));
    this.bump(key(topic, -1));
    const set = this.waiters.get(topic);
    if (!set) return;
    for (const w of [...set]) if (w.queueId === queueId || w.queueId === -1) w.resolve("arrived");
  }

  /** Number of held requests (for runtime info). */
  get size(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  close(): void {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w.resolve("closed");
    this.waiters.clear();
  }

  private bump(k: string): void {
    this.versions.set(k, ((this.versions.get(k) ?? 0) + 1) | 0);
  }
}

function key(topic: string, queueId: number): string {
  return `${topic}\u0001${queueId}`;
}
