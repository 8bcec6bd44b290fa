/**
 * The least work a store in RocketMQ's format does per message, with none of the store around it: the store's own
 * record encoder (header, body CRC, body copy, a generated UNIQ_KEY) writing into a CommitLog segment mapping whose
 * pages the store's PagePopulator keeps ready, and the store's own ConsumeQueue and IndexFile code for each record.
 * No validation, no object or promise per message, no pending queue: what bench:store-ceiling measures is how fast
 * the format's required work can go on this machine, i.e. how far any store written in JavaScript could get.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ConsumeQueueTable,
  defaultMessageStoreOptions,
  indexKeyHashPrefix,
  MessageIndex,
  openNativeIo,
  PagePopulator,
  positiveKeyHash,
  segmentFileName,
} from "../../broker/store/index.ts";
import {
  createUniqKeyGenerator,
  emptyMessageRecordHead,
  encodeMessageRecordHead,
  MessageConst,
  messageRecordSize,
  parseSocketAddress,
} from "../../proto/message/index.ts";
import { makeNoiseBody } from "../harness/payload.ts";
import { AppendBuffers } from "./append-buffers.ts";

/**
 * `one-thread`: ConsumeQueue unit and index entry written right after each record, on the writer's thread.
 * `dispatch-thread`: a second thread reads the records back from the segment and writes them (RocketMQ's
 * ReputMessageService). `pwrite`: as one-thread, but records go into 1 MiB append buffers that pwrite copies into
 * the page cache on the thread pool (the store's transientStorePoolEnable path) instead of into the mapping.
 * `commitlog-only`: no ConsumeQueue, no index (what the ratio would be if both were free).
 */
export type CeilingVariant = "one-thread" | "dispatch-thread" | "pwrite" | "commitlog-only";
export const CEILING_VARIANTS: readonly CeilingVariant[] = [
  "one-thread",
  "dispatch-thread",
  "pwrite",
  "commitlog-only",
];
/** The pwrite variant's append buffers: one fills while the others are written. */
const APPEND_BUFFER_BYTES = 1024 * 1024;
const APPEND_BUFFERS = 4;

export interface CeilingOptions {
  dir: string;
  variant: CeilingVariant;
  messages: number;
  bodySize: number;
  queues: number;
  /** Records stop before they would not fit (the run stays in one segment). */
  segmentSize: number;
  topic: string;
}

export interface CeilingRun {
  messages: number;
  /** CommitLog bytes written. */
  bytes: number;
  seconds: number;
  /** CPU time of the process (all threads) per message. */
  cpuMicrosPerMessage: number;
}

export const CEILING_BATCH = 128;
const UNIQ_KEY_NAME = new TextEncoder().encode(
  `${MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX}\u0001`,
);
/** The shared progress words: records below [WRITTEN] are encoded, below [DISPATCHED] dispatched; [DONE] ends. */
export const WRITTEN = 0;
export const DISPATCHED = 1;
export const DONE = 2;

/** The index and ConsumeQueue files of a run, as the store lays them out under its root. */
export function openDispatchTargets(dir: string): { cqs: ConsumeQueueTable; index: MessageIndex } {
  const o = defaultMessageStoreOptions;
  const cqs = new ConsumeQueueTable(path.join(dir, "consumequeue"), o.consumeQueueUnitsPerFile);
  const index = new MessageIndex({
    dir: path.join(dir, "index"),
    hashSlotNum: o.maxHashSlotNum,
    indexNum: o.maxIndexNum,
    clock: Date.now,
    populateWrite: openNativeIo().populateWrite,
  });
  cqs.load();
  index.load();
  return { cqs, index };
}

/** Writes `messages` records (fewer if the segment fills) and, per the variant, dispatches them. */
export async function runCeiling(o: CeilingOptions): Promise<CeilingRun> {
  const io = openNativeIo();
  if (!io.populateWrite || !io.preallocate)
    throw new Error("bench:store-ceiling needs Linux (madvise, fallocate)");
  const clDir = path.join(o.dir, "commitlog");
  fs.mkdirSync(clDir, { recursive: true });
  const segmentPath = path.join(clDir, segmentFileName(0));
  const fd = fs.openSync(segmentPath, "w+");
  io.preallocate(fd, 0, o.segmentSize);
  const map = Bun.mmap(segmentPath, { shared: true });
  const view = new DataView(map.buffer, map.byteOffset, map.byteLength);
  const populator = new PagePopulator({ populateWrite: io.populateWrite });
  const region = populator.region(map, 0);
  const storeHost = parseSocketAddress(defaultMessageStoreOptions.storeHost);
  const uniqKeys = createUniqKeyGenerator({ ip: storeHost.ip, pid: process.pid });
  const topicBytes = new TextEncoder().encode(o.topic);
  const prefix = indexKeyHashPrefix(o.topic);
  let pow31 = 1; // as the store's encoder: hashCode(prefix + id) = prefix * 31^(id length) + hashCode(id)
  for (let i = 0; i < uniqKeys.length; i++) pow31 = Math.imul(pow31, 31);
  const propertiesLength = UNIQ_KEY_NAME.length + uniqKeys.length + 1;
  const body = makeNoiseBody(o.bodySize);
  const size = messageRecordSize(body.length, topicBytes.length, propertiesLength);
  const messages = Math.min(o.messages, Math.floor((o.segmentSize - 8) / size));
  const head = emptyMessageRecordHead(storeHost);
  head.topic = topicBytes;
  head.body = body;
  const inline = o.variant === "one-thread" || o.variant === "pwrite" ? openDispatchTargets(o.dir) : null;
  // Where record bytes go: the mapping, or with pwrite the append buffer holding file offsets from its base.
  const buffers =
    o.variant === "pwrite" ? new AppendBuffers(fd, APPEND_BUFFERS, APPEND_BUFFER_BYTES + size) : null;
  const progress = new Int32Array(new SharedArrayBuffer(12));
  let worker: Worker | null = null;
  let dispatched: Promise<void> = Promise.resolve();
  if (o.variant === "dispatch-thread") {
    // Started before the clock: a thread and its module loading are start-up, not append cost.
    const w = new Worker(new URL("./dispatch-worker.ts", import.meta.url).href);
    worker = w;
    let ready: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      ready = resolve;
    });
    dispatched = new Promise<void>((resolve, reject) => {
      w.onmessage = (event: MessageEvent<string>) => (event.data === "ready" ? ready() : resolve());
      w.onerror = (e) => reject(new Error(`dispatch thread: ${e.message}`));
    });
    w.postMessage({ dir: o.dir, segmentPath, topic: o.topic, progress });
    await Promise.race([started, dispatched]);
  }
  // ASYNC_FLUSH's timer, as in the store.
  const flushTimer = setInterval(
    () => fs.fdatasync(fd, () => {}),
    defaultMessageStoreOptions.flushIntervalMs,
  );
  const queueOffsets = new Array<number>(o.queues).fill(0);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let pos = 0;
  for (let n = 0; n < messages; ) {
    const now = Date.now();
    const batchEnd = Math.min(messages, n + CEILING_BATCH);
    for (; n < batchEnd; n++) {
      if (!buffers && pos + size > region.mark && !region.prepare(pos + size)) {
        throw new Error("page population refused");
      }
      const target = buffers ? buffers.target : map;
      const targetView = buffers ? buffers.view : view;
      const at = buffers ? pos - buffers.base : pos;
      const queueId = n % o.queues;
      const queueOffset = queueOffsets[queueId]!++;
      head.queueId = queueId;
      head.queueOffset = queueOffset;
      head.commitLogOffset = pos;
      head.bornTimestamp = head.storeTimestamp = now;
      let p = encodeMessageRecordHead(target, targetView, at, head, propertiesLength);
      for (let i = 0; i < UNIQ_KEY_NAME.length; i++) target[p + i] = UNIQ_KEY_NAME[i]!;
      p += UNIQ_KEY_NAME.length;
      uniqKeys.nextInto(targetView, p, now);
      target[p + uniqKeys.length] = 2;
      if (inline) {
        inline.cqs.findOrCreate(o.topic, queueId).put(queueOffset, pos, size, 0);
        const hash = positiveKeyHash((Math.imul(prefix, pow31) + uniqKeys.lastHashCode()) | 0);
        inline.index.buildIndex(prefix, pos, now, 0, undefined, undefined, hash);
      }
      pos += size;
      if (buffers && pos - buffers.base >= APPEND_BUFFER_BYTES) await buffers.submit(pos);
    }
    if (worker) {
      Atomics.store(progress, WRITTEN, pos);
      Atomics.notify(progress, WRITTEN);
    }
    // Let timers and I/O callbacks run now and then, as a store's event loop does between puts.
    if ((n / CEILING_BATCH) % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  if (worker) {
    Atomics.store(progress, DONE, 1);
    Atomics.notify(progress, WRITTEN);
    await dispatched;
  }
  if (buffers) {
    if (pos > buffers.base) await buffers.submit(pos);
    await buffers.drain();
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(flushTimer);
  worker?.terminate();
  region.release();
  populator.close();
  inline?.cqs.close();
  inline?.index.close();
  fs.closeSync(fd);
  return { messages, bytes: pos, seconds, cpuMicrosPerMessage: (cpu.user + cpu.system) / messages };
}
