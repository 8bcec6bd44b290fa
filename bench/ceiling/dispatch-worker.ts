/**
 * bench:store-ceiling's dispatch thread (RocketMQ's ReputMessageService): reads the records the writer encoded
 * from its own mapping of the segment and writes each one's ConsumeQueue unit and index entry with the store's
 * code. Progress goes through the SharedArrayBuffer words of ceiling-writer.ts.
 */
import { indexKeyHashPrefix } from "../../broker/store/index.ts";
import { DISPATCHED, DONE, openDispatchTargets, WRITTEN } from "./ceiling-writer.ts";

declare const self: Worker;

interface DispatchJob {
  dir: string;
  segmentPath: string;
  topic: string;
  progress: Int32Array;
}

self.onmessage = (event: MessageEvent<DispatchJob>) => {
  const { dir, segmentPath, topic, progress } = event.data;
  const map = Bun.mmap(segmentPath, { shared: true });
  const view = new DataView(map.buffer, map.byteOffset, map.byteLength);
  const { cqs, index } = openDispatchTargets(dir);
  const prefix = indexKeyHashPrefix(topic);
  self.postMessage("ready");
  let pos = 0;
  for (;;) {
    const written = Atomics.load(progress, WRITTEN);
    if (pos >= written) {
      if (Atomics.load(progress, DONE) !== 0 && pos >= Atomics.load(progress, WRITTEN)) break;
      Atomics.wait(progress, WRITTEN, written, 5);
      continue;
    }
    while (pos < written) {
      // RocketMQ's layout with IPv4 hosts: QUEUEID @12, QUEUEOFFSET @20, STORETIMESTAMP @56, BODYLENGTH @84.
      const size = view.getInt32(pos);
      const queueId = view.getInt32(pos + 12);
      const queueOffset = view.getInt32(pos + 24); // low word: the run stays below 2^31
      const storeTimestamp = view.getInt32(pos + 56) * 0x100000000 + view.getUint32(pos + 60);
      const topicAt = pos + 88 + view.getInt32(pos + 84);
      const propertiesAt = topicAt + 1 + map[topicAt]! + 2;
      // The one property is UNIQ_KEY\u0001<id>\u0002: hash the id as the index does (String.hashCode).
      let p = propertiesAt;
      while (map[p] !== 1) p++;
      let h = prefix;
      for (p++; map[p] !== 2; p++) h = (Math.imul(31, h) + map[p]!) | 0;
      cqs.findOrCreate(topic, queueId).put(queueOffset, pos, size, 0);
      index.buildIndex(
        prefix,
        pos,
        storeTimestamp,
        0,
        undefined,
        undefined,
        h === -2147483648 ? 0 : Math.abs(h),
      );
      pos += size;
    }
    Atomics.store(progress, DISPATCHED, pos);
  }
  cqs.close();
  index.close();
  self.postMessage("done");
};
