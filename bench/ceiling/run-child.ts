/**
 * One bench:store-ceiling run in a process of its own: `bun bench/ceiling/run-child.ts <variant> <dir> <messages>`.
 * A short untimed run first compiles the hot code (the store bench's target run also comes after warm-up runs),
 * then the timed run; prints one JSON line (CeilingRun).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CEILING_VARIANTS, type CeilingOptions, type CeilingVariant, runCeiling } from "./ceiling-writer.ts";

const [variant, dir, messages] = process.argv.slice(2);
if (!CEILING_VARIANTS.includes(variant as CeilingVariant) || !dir || !(Number(messages) > 0)) {
  console.error(`usage: run-child.ts <${CEILING_VARIANTS.join("|")}> <dir> <messages>`);
  process.exit(2);
}
const base: Omit<CeilingOptions, "dir" | "messages"> = {
  variant: variant as CeilingVariant,
  bodySize: 1024,
  queues: 8,
  segmentSize: 1024 * 1024 * 1024,
  topic: "BenchStore",
};
const warmDir = path.join(dir, "warm-up");
await runCeiling({ ...base, dir: warmDir, messages: 32 * 1024, segmentSize: 64 * 1024 * 1024 });
fs.rmSync(warmDir, { recursive: true, force: true });
const run = await runCeiling({ ...base, dir: path.join(dir, "run"), messages: Number(messages) });
console.log(JSON.stringify(run));
process.exit(0);
