/**
 * Child process of crash.test.ts. Opens (and so recovers) the store, checks every message acknowledged in earlier
 * runs, prints "V ok <n>" (or "V fail <why>" and exits 1), then appends (SYNC_FLUSH or ASYNC_FLUSH) from several writers
 * until it is killed, printing "A <i> <commitLogOffset> <queueId> <queueOffset> <crc32 of the raw record>" for each
 * acknowledged message (six writers put single messages, two put batches with putMessages).
 * Usage: bun crash-writer.ts <storeDir> <ackFile> <firstMessageNumber> <flushDiskType>
 */
import * as fs from "node:fs";
import { createMessageStore } from "../message-store.ts";
import type { FlushDiskType } from "../options.ts";
import type { PutResult } from "../types.ts";
import { type Ack, crashBody, crashStoreOptions } from "./crash-workload.ts";

const [dir, ackFile, firstArg, flushDiskType] = process.argv.slice(2);
const store = await createMessageStore(crashStoreOptions(dir!, flushDiskType as FlushDiskType));

const acks: Ack[] = fs.existsSync(ackFile!)
  ? fs
      .readFileSync(ackFile!, "utf8")
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Ack)
  : [];
for (const a of acks) {
  const m = store.lookMessageByOffset(a.commitLogOffset);
  const problem = !m
    ? "missing"
    : Bun.hash.crc32(m.raw) !== a.crc
      ? "raw bytes differ"
      : m.queueOffset !== a.queueOffset || m.queueId !== a.queueId
        ? "queue position differs"
        : Buffer.compare(Buffer.from(m.body), Buffer.from(crashBody(a.i))) !== 0
          ? "body differs"
          : store.getMaxOffsetInQueue("Crash", a.queueId) <= a.queueOffset
            ? "not in its ConsumeQueue"
            : null;
  if (problem) {
    process.stdout.write(`V fail message ${a.i} at ${a.commitLogOffset}: ${problem}\n`);
    process.exit(1);
  }
}
process.stdout.write(`V ok ${acks.length}\n`);

let next = Number(firstArg);
const input = (i: number) => ({
  topic: "Crash",
  queueId: i % 4,
  body: crashBody(i),
  properties: { KEYS: `c${i}` },
});
const ack = (i: number, r: PutResult) => {
  const m = store.lookMessageByOffset(r.commitLogOffset)!;
  process.stdout.write(
    `A ${i} ${r.commitLogOffset} ${m.queueId} ${r.queueOffset} ${Bun.hash.crc32(m.raw)}\n`,
  );
};
// Six writers put one message at a time, two put batches of 1-4 (putMessages: one promise for the batch).
const writers = Array.from({ length: 8 }, async (_, w) => {
  for (;;) {
    if (w < 6) {
      const i = next++;
      ack(i, await store.putMessage(input(i)));
    } else {
      const first = next;
      next += 1 + (first % 4);
      const results = await store.putMessages(
        Array.from({ length: next - first }, (_, k) => input(first + k)),
      );
      for (let k = 0; k < results.length; k++) ack(first + k, results[k]!);
    }
  }
});
await Promise.all(writers);
