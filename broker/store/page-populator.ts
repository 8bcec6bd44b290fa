import { ptr } from "bun:ffi";
import { PAGE, type PopulateWrite } from "./native-io.ts";

/** What the writer's thread sends the populator thread: populate [from, to) of the mapping at `address`. */
export interface PopulateRequest {
  address: number;
  from: number;
  to: number;
  /** Shared with the region: [0] pages from the mapping's start known populated, [1] non-zero once released. */
  progress: Int32Array;
}

export interface PagePopulatorOptions {
  /** The populating call used on the writer's own thread (when the populator thread is behind, or absent). */
  populateWrite: PopulateWrite;
  /** How far ahead of the write position the populator thread keeps pages ready. */
  aheadBytes: number;
  /** Populate on the writer's thread only (no Worker): for platforms or tests without one. */
  inline: boolean;
}

export const defaultPagePopulatorOptions: Readonly<Omit<PagePopulatorOptions, "populateWrite">> =
  Object.freeze({
    aheadBytes: 16 * 1024 * 1024,
    inline: false,
  });

/** The least the writer's thread populates itself when it must: one madvise per this many bytes at most. */
const INLINE_CHUNK = 1024 * 1024;

/**
 * Keeps the pages ahead of a writer's position in a shared file mapping populated (mapped writable, page-cache
 * page and block reserved) from a second thread, so that writes into the mapping neither fault nor wait for the
 * kernel: RocketMQ's warmed MappedFile, done continuously ahead of the writer instead of once per file. The
 * Worker is started on the first region and ended by close(). A region never lets a write into a page that was
 * not populated: when the thread is behind, the writer populates the next pages itself, and a refusal there
 * (no space for a hole, an I/O error) is reported to the writer instead of a SIGBUS on the write.
 */
export class PagePopulator {
  private readonly o: PagePopulatorOptions;
  private worker: Worker | null = null;
  private workerFailed: boolean;

  constructor(options: Pick<PagePopulatorOptions, "populateWrite"> & Partial<PagePopulatorOptions>) {
    this.o = { ...defaultPagePopulatorOptions, ...options };
    this.workerFailed = this.o.inline;
  }

  /** A region for writes into `mapping` starting at byte `start` (bytes below it are never written). */
  region(mapping: Uint8Array, start: number): PopulatedRegion {
    return new PopulatedRegion(this, mapping, start, this.o.aheadBytes, this.o.populateWrite);
  }

  /** Hands a request to the thread; false when there is none (then the writer populates everything itself). */
  post(request: PopulateRequest): boolean {
    const worker = this.startWorker();
    if (!worker) return false;
    worker.postMessage(request);
    return true;
  }

  close(): void {
    this.worker?.terminate();
    this.worker = null;
    this.workerFailed = true;
  }

  private startWorker(): Worker | null {
    if (this.worker || this.workerFailed) return this.worker;
    try {
      const worker = new Worker(new URL("./page-populator-worker.ts", import.meta.url).href);
      (worker as Worker & { unref(): void }).unref(); // Bun's Worker: never what keeps a process alive
      // A thread that dies only means the writer populates on its own thread from then on.
      worker.addEventListener("error", () => {
        if (this.worker === worker) this.close();
      });
      this.worker = worker;
    } catch {
      this.workerFailed = true;
    }
    return this.worker;
  }
}

/**
 * The writer's side of one mapping. `mark` is the cheap check: a write ending at or below it may go ahead at once;
 * beyond it, `prepare` first.
 */
export class PopulatedRegion {
  /** Writes ending at or below this need no prepare(). */
  mark: number;
  private readonly populator: PagePopulator;
  private readonly mapping: Uint8Array;
  private readonly address: number;
  private readonly length: number;
  private readonly ahead: number;
  private readonly populateWrite: PopulateWrite;
  private readonly progress = new Int32Array(new SharedArrayBuffer(8));
  /** Bytes below this are populated, for sure. */
  private safeEnd: number;
  /** The thread was asked to populate up to here. */
  private requestedEnd: number;
  private threaded = true;

  constructor(
    populator: PagePopulator,
    mapping: Uint8Array,
    start: number,
    ahead: number,
    populateWrite: PopulateWrite,
  ) {
    this.populator = populator;
    this.mapping = mapping;
    this.address = ptr(mapping);
    this.length = mapping.byteLength;
    this.ahead = ahead;
    this.populateWrite = populateWrite;
    this.safeEnd = this.requestedEnd = this.mark = Math.floor(start / PAGE) * PAGE;
  }

  /**
   * Makes sure every page below `end` is populated before the caller writes there, and asks the thread for the
   * next pages. False: the kernel refused to populate (the caller must not write there).
   */
  prepare(end: number): boolean {
    const reported = Math.min(this.length, Atomics.load(this.progress, 0) * PAGE);
    if (reported > this.safeEnd) this.safeEnd = reported;
    if (end > this.safeEnd) {
      const to = Math.min(this.length, Math.max(end, this.safeEnd + INLINE_CHUNK));
      if (!this.populateWrite(this.mapping, this.safeEnd, to - this.safeEnd)) return false;
      this.safeEnd = to;
      if (this.requestedEnd < to) this.requestedEnd = to;
    }
    // Ask for the next stretch once half of the last one was taken: one message per aheadBytes / 2 written.
    if (this.threaded && end + this.ahead / 2 > this.requestedEnd && this.requestedEnd < this.length) {
      const to = Math.min(this.length, end + this.ahead);
      const from = Math.floor(this.requestedEnd / PAGE) * PAGE;
      this.threaded = this.populator.post({ address: this.address, from, to, progress: this.progress });
      if (this.threaded) this.requestedEnd = to;
    }
    const nextRequest =
      this.threaded && this.requestedEnd < this.length
        ? this.requestedEnd - this.ahead / 2
        : Number.POSITIVE_INFINITY;
    // safeEnd >= end here, so the mark never passes a page that is not populated.
    this.mark = Math.max(end, Math.min(this.safeEnd, nextRequest));
    return true;
  }

  /** The writer is done with the mapping: the thread skips what it was still asked to do for it. */
  release(): void {
    Atomics.store(this.progress, 1, 1);
  }
}
