/**
 * The page populator's thread (see page-populator.ts). It receives address ranges of the writer's own shared file
 * mappings (threads share one address space) and maps their pages writable with madvise(MADV_POPULATE_WRITE),
 * one chunk at a time, reporting after each chunk in the request's SharedArrayBuffer how far it got. The call
 * never changes a byte of the file: it only does, ahead of need, what the first write into each page would do
 * (allocate the page-cache page, reserve the block, map it writable).
 */
import { openNativeIo, PAGE } from "./native-io.ts";
import type { PopulateRequest } from "./page-populator.ts";

declare const self: Worker;

// Started only where the writer's thread has populateWrite, i.e. where this exists too.
const populateWriteAt = openNativeIo().populateWriteAt!;

/** Chunk per madvise: small enough that the writer sees progress often, large enough to cost nothing. */
const CHUNK = 1024 * 1024;

self.onmessage = (event: MessageEvent<PopulateRequest>) => {
  const { address, from, to, progress } = event.data;
  for (let at = from; at < to; at += CHUNK) {
    if (Atomics.load(progress, 1) !== 0) return; // the region was released: its mapping may be gone
    const end = Math.min(to, at + CHUNK);
    // A refusal (no disk space for a hole, an I/O error) stops here: the writer populates on its own thread and
    // finds out there.
    if (!populateWriteAt(address + at, end - at)) return;
    const pages = Math.ceil(end / PAGE);
    if (pages > Atomics.load(progress, 0)) Atomics.store(progress, 0, pages);
  }
};
