/** The benchmark harness: targets, process measurement, load generators, reports. */
export { defaultFanOutTimeoutMs, type FanOutOptions, fanOut } from "./fan-out.ts";
export { defaultDrainMs, type FixedRateOptions, LatencyRecorder, runFixedRate } from "./fixed-rate.ts";
export { freePort, freePorts } from "./free-port.ts";
export type { GeneratorControl, GeneratorJob, GeneratorOutcome, GeneratorResult } from "./generator-job.ts";
export { fmtNum, mdTable, replaceSection } from "./markdown.ts";
export { makePayload, PAYLOAD_HEADER_BYTES, readStamp, stampPayload, wallClockMs } from "./payload.ts";
export {
  clockTicksPerSecond,
  descendants,
  processTree,
  readCpuTicks,
  readRssBytes,
  treeUsage,
} from "./proc.ts";
export { ResourceMeter, type ResourceMeterOptions, type WindowUsage } from "./resource-meter.ts";
export { defaultServerProcessOptions, ServerProcess, type ServerProcessOptions } from "./server-process.ts";
export { shares } from "./shares.ts";
export { percentile, type Spread, sortedCopy, spread } from "./stats.ts";
export {
  type Bar,
  type BarChartOptions,
  type BarPanel,
  barChartSvg,
  defaultBarChartOptions,
} from "./svg-chart.ts";
export type { ClientRun, LatencyRun, StartInfo, Target, WorkloadContext, WorkloadWindow } from "./target.ts";
export { commandOutputLine, makeTempDir, removeDir } from "./temp-dir.ts";
export { defaultWaitUntilOptions, type WaitUntilOptions, waitUntil } from "./wait-until.ts";
