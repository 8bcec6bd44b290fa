/**
 * A single-reader async queue: producers `push()` and `end()` (or `fail()`), one reader iterates. Used for the
 * request side of a bidi gRPC stream and for the Telemetry outbox the proxy pushes server commands into.
 * Breaking out of the iteration ends the queue, so later pushes are dropped, not buffered forever.
 */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  /** Queue an item; false (and dropped) once the queue has ended. */
  push(item: T): boolean;
  /** No more items: the reader drains what is queued, then finishes. */
  end(): void;
  /** End with an error the reader sees after draining the queued items. */
  fail(error: unknown): void;
  readonly ended: boolean;
}

export function createAsyncQueue<T>(): AsyncQueue<T> {
  let items: T[] = [];
  let waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  let ended = false;
  let error: unknown;

  const settle = () => {
    const w = waiting;
    waiting = undefined;
    if (!w) return;
    if (error !== undefined) w.reject(error);
    else w.resolve({ value: undefined, done: true });
  };

  const iterator: AsyncIterator<T> = {
    next() {
      if (items.length > 0) return Promise.resolve({ value: items.shift() as T, done: false });
      if (ended) {
        if (error !== undefined) return Promise.reject(error);
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    return() {
      items = [];
      queue.end();
      return Promise.resolve({ value: undefined, done: true });
    },
    // Some consumers (connect-es) insist on a complete iterator protocol.
    throw(e?: unknown) {
      items = [];
      queue.fail(e);
      return Promise.reject(e);
    },
  };

  const queue: AsyncQueue<T> = {
    get ended() {
      return ended;
    },
    push(item) {
      if (ended) return false;
      const w = waiting;
      if (w) {
        waiting = undefined;
        w.resolve({ value: item, done: false });
      } else items.push(item);
      return true;
    },
    end() {
      if (ended) return;
      ended = true;
      settle();
    },
    fail(e) {
      if (ended) return;
      error = e ?? new Error("queue failed");
      ended = true;
      settle();
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return queue;
}
