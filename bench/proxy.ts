/**
 * `bun run bench:proxy [--reps N] [--quick] [--messages N] [--latency-seconds N] [--processes N] [--no-docs]`
 *
 * Issue 6: publish, receive and end-to-end latency through the proxy (gRPC in Local and Cluster mode, Connect
 * over HTTP/1.1), with server CPU per message, next to the same broker over remoting; batched SendMessage beside
 * SEND_BATCH_MESSAGE; a small run of the official Node SDK. Writes the "## Proxy" section of docs/benchmarks.md
 * (full runs, or --docs) and ends with one JSON line.
 */
import { jsonLine, ResourceMeter, runSuite, type Target, type ThroughputFigures } from "./harness/index.ts";
import {
  createProxyTarget,
  createRemotingTarget,
  type ProxyReport,
  type ProxyTarget,
  parseBenchArgs,
  pickTargets,
  proxySection,
  proxyShares,
  type RemotingTarget,
  runPublishOnly,
  startRun,
  writeDocSections,
} from "./targets/index.ts";

const BATCH = 16;
const SDK_IN_FLIGHT = 32;

const args = parseBenchArgs("bench:proxy", process.argv.slice(2));
const o = args.suite;
const run = startRun(args.command);
const sdkMessages = args.quick ? 500 : 2000;

const proxies = (batch: number): (ProxyTarget | RemotingTarget)[] => [
  createProxyTarget({ mode: "local", protocol: "grpc", batch, publishInFlight: batch > 1 ? 32 : 256 }),
  createProxyTarget({ mode: "cluster", protocol: "grpc", batch, publishInFlight: batch > 1 ? 32 : 256 }),
  createProxyTarget({ mode: "local", protocol: "connect", batch, publishInFlight: batch > 1 ? 16 : 64 }),
  createRemotingTarget({ batch, publishInFlight: batch > 1 ? 64 : 1024 }),
];
const targets = pickTargets(
  [...proxies(1), ...proxies(BATCH)],
  args.only?.filter((n) => n !== "sdk"),
);
const suiteTargets = targets.filter((t) => t.options.batch === 1);
const batchTargets = targets.filter((t) => t.options.batch > 1);

const suite = await runSuite(suiteTargets, o);
const batched = await runPublishOnly(batchTargets, o);

// The official SDK: start a Local-mode proxy, publish a few thousand messages, stop; per repetition.
const sdk: ThroughputFigures[] = [];
const sdkTarget = createProxyTarget({ mode: "local", protocol: "grpc" });
for (let rep = 0; rep < o.reps && (!args.only || args.only.includes("sdk")); rep++) {
  const meter = new ResourceMeter(() => sdkTarget.serverPids());
  try {
    await sdkTarget.start();
    meter.begin();
    const r = await sdkTarget.publishWithSdk(sdkMessages, SDK_IN_FLIGHT, {
      messageSize: o.messageSize,
      window: meter,
      processes: 1,
    });
    meter.end();
    const u = meter.usage();
    sdk.push({
      count: r.count,
      elapsedMs: r.elapsedMs,
      msgsPerSec: (r.count * 1000) / r.elapsedMs,
      mibPerSec: (r.count * o.messageSize) / (1024 * 1024) / (r.elapsedMs / 1000),
      serverCpuMs: u.serverCpuMs,
      clientCpuMs: r.clientCpuMs,
      serverCpuUsPerMsg: (u.serverCpuMs * 1000) / r.count,
      clientCpuUsPerMsg: (r.clientCpuMs * 1000) / r.count,
      serverCores: u.serverCpuMs / u.wallMs,
      clientCores: r.clientCpuMs / r.elapsedMs,
      clientProcesses: r.clientProcesses,
      peakRssBytes: u.peakRssBytes,
    });
    o.log(
      `  official SDK: ${(sdk.at(-1)!.msgsPerSec).toFixed(0)} msg/s, client ${sdk.at(-1)!.clientCpuUsPerMsg.toFixed(0)} us/msg`,
    );
  } catch (e) {
    o.log(`  official SDK: FAILED ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    meter.close();
    await sdkTarget.stop();
  }
}

const { log: _log, ...options } = o;
const name = (list: Target[], batch: number) =>
  list.find((t) => t.name.startsWith("bunmq-remoting") && batch > 1 === t.name.includes("batch"))?.name ?? "";
const report: ProxyReport = {
  run: run.finish(),
  options,
  suite,
  batched,
  batch: BATCH,
  sdk,
  sdkMessages,
  sdkInFlight: SDK_IN_FLIGHT,
  remoting: name(suiteTargets, 1),
  remotingBatched: name(batchTargets, BATCH),
};
const section = proxySection(report);
console.log(`## Proxy\n\n${section}\n`);
if (args.writeDocs) writeDocSections({ "## Proxy": section });

const failed = suite.some((r) => r.reps.length === 0) || batched.some((r) => r.w1.length === 0);
console.log(jsonLine({ bench: "proxy", ok: !failed, ...report, shareOfRemoting: proxyShares(report) }));
process.exit(failed ? 1 : 0);
