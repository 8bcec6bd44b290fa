/**
 * Child process of crash.test.ts. Opens (and so recovers) the store, checks every message acknowledged in earlier
 * runs, prints "V ok <n>" (or "V fail <why>" and exits 1), then appends with SYNC_FLUSH from several writers
 * until it is killed, printing "A <i> <queueId> <queueOffset> <commitLogOffset> <crc32 of the raw record>" for each
 * acknowledged message.
 * Usage: bun crash-writer.ts <storeDir> <ackFile> <firstMessageNumber>
 */
import * as fs from "node:fs";
import { createMessageStore } from "../message-store.ts";
import { type Ack, crashBody, crashStoreOptions } from "./crash-workload.ts";

const [dir, ackFile, firstArg] = process.argv.slice(2);
const store = await createMessageStore(crashStoreOptions(dir!));

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
const writers = Array.from({ length: 8 }, async () => {
  for (;;) {
    const i = next++;
    const r = await store.putMessage({
      topic: "Crash",
      queueId: i % 4,
      body: crashBody(i),
      properties: { KEYS: `c${i}` },
    });
    const m = store.lookMessageByOffset(r.commitLogOffset)!;
    process.stdout.write(
      `A ${i} ${r.commitLogOffset} ${m.queueId} ${r.queueOffset} ${Bun.hash.crc32(m.raw)}\n`,
    );
  }
});
await Promise.all(writers);
