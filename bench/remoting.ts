/**
 * `bun run bench:remoting [--reps N] [--quick] [--messages N] [--latency-seconds N] [--processes N] [--no-docs]`
 *
 * Issue 5: 1 KiB publish (SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE, ASYNC_FLUSH and SYNC_FLUSH) and consume
 * (PULL_MESSAGE) throughput through the remoting protocol, a broker and a nameserver each in its own process,
 * beside the storage engine's own append rate measured in the same run. Writes the "## Remoting" section of
 * docs/benchmarks.md (full runs, or --docs) and ends with one JSON line.
 */
import { jsonLine, runSuite, type SuiteOptions } from "./harness/index.ts";
import {
  createRemotingTarget,
  defaultRemotingTargetOptions,
  type EngineRow,
  measureEngineAppend,
  parseBenchArgs,
  pickTargets,
  remotingSection,
  remotingShare,
  runPublishOnly,
  startRun,
  writeDocSections,
} from "./targets/index.ts";

const BATCH = 32;
const BATCH_IN_FLIGHT = 64;

const args = parseBenchArgs("bench:remoting", process.argv.slice(2));
const o = args.suite;
const run = startRun(args.command);

const targets = pickTargets(
  (["ASYNC_FLUSH", "SYNC_FLUSH"] as const).flatMap((flushDiskType) => [
    createRemotingTarget({ flushDiskType }),
    createRemotingTarget({ flushDiskType, batch: BATCH, publishInFlight: BATCH_IN_FLIGHT }),
  ]),
  args.only,
);
// SEND_BATCH_MESSAGE targets run W1 only: their W2-W4 would repeat the single-send targets'.
const suiteTargets = targets.filter((t) => t.options.batch === 1);
const batchTargets = targets.filter((t) => t.options.batch > 1);

// The engine gets as many appends in flight as the generators keep requests in flight in total.
const processes = o.processes > 0 ? o.processes : defaultRemotingTargetOptions.publishProcesses;
const engine: EngineRow[] = [];
for (const flushDiskType of ["ASYNC_FLUSH", "SYNC_FLUSH"] as const) {
  for (const batch of [1, BATCH]) {
    const row: EngineRow = { flushDiskType, batch, figures: [] };
    for (let rep = 0; rep < o.reps; rep++) {
      const f = await measureEngineAppend({
        flushDiskType,
        batch,
        messages: o.messages,
        messageSize: o.messageSize,
        inFlight: (batch > 1 ? BATCH_IN_FLIGHT : defaultRemotingTargetOptions.publishInFlight) * processes,
      });
      row.figures.push(f);
      o.log(
        `engine ${flushDiskType} batch ${batch}: ${f.msgsPerSec.toFixed(0)} msg/s, ${f.cpuUsPerMsg.toFixed(1)} us/msg`,
      );
    }
    engine.push(row);
  }
}

const suite = await runSuite(suiteTargets, o);
const batched = await runPublishOnly(batchTargets, o);

const { log: _log, ...options } = o satisfies SuiteOptions;
const report = { run: run.finish(), options, engine, suite, batched, batch: BATCH };
const section = remotingSection(report);
console.log(`## Remoting\n\n${section}\n`);
if (args.writeDocs) writeDocSections({ "## Remoting": section });

const shares = Object.fromEntries(
  engine.map((e) => [`${e.flushDiskType}/${e.batch}`, remotingShare(report, e.flushDiskType, e.batch)]),
);
const failed = suite.some((r) => r.reps.length === 0) || batched.some((r) => r.w1.length === 0);
console.log(jsonLine({ bench: "remoting", ok: !failed, ...report, shareOfEngine: shares }));
process.exit(failed ? 1 : 0);
