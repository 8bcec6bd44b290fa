/**
 * Child process for timer-store-crash.test.ts, killed with SIGKILL at a random moment.
 *   schedule <dir> <cycle>: schedules timers an hour out, printing "ack <commitLogOffset>" once each is durable.
 *   deliver <dir>: delivers what is due in batches of 8, printing "got <commitLogOffset>" before each batch resolves.
 * Lines are written with writeSync so that nothing printed is still in a buffer when the kill lands.
 */
import { writeSync } from "node:fs";
import { createTimerStore } from "../index.ts";

const [mode, dir, cycle] = process.argv.slice(2);
if (!dir || (mode !== "schedule" && mode !== "deliver"))
  throw new Error("usage: crash-child.ts schedule|deliver <dir> [cycle]");

const store = await createTimerStore({ dir, maxBatch: 8 });
writeSync(1, `ready ${store.stats().pending}\n`);

if (mode === "schedule") {
  const first = Number(cycle) * 1_000_000;
  let next = first;
  const worker = async () => {
    for (;;) {
      const offset = next++;
      await store.schedule({
        deliverAtMs: Date.now() + 3_600_000,
        commitLogOffset: offset,
        size: 100,
        key: `u${offset}`,
      });
      writeSync(1, `ack ${offset}\n`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
} else {
  store.onDue(async (entries) => {
    writeSync(1, entries.map((e) => `got ${e.commitLogOffset}\n`).join(""));
  });
  await new Promise(() => {});
}
