/** The benchmark harness: targets, process measurement, load generators, limits, reports. */

export { ddMiBps, warmPages } from "./dd.ts";
export {
  defaultFanOutTimeoutMs,
  defaultStallTimeoutMs,
  type FanOutOptions,
  fanOut,
  fanOutConsume,
  fanOutPublish,
  type WorkloadFanOut,
  workloadProcesses,
} from "./fan-out.ts";
export {
  defaultDrainMs,
  type FixedRateOptions,
  fixedRateWorkload,
  LatencyRecorder,
  runFixedRate,
} from "./fixed-rate.ts";
export { freePort, freePorts } from "./free-port.ts";
export type { GeneratorControl, GeneratorJob, GeneratorOutcome, GeneratorResult } from "./generator-job.ts";
export { sendInFlight } from "./in-flight.ts";
export { jsonLine } from "./json-line.ts";
export {
  defaultLimitsOptions,
  type Limits,
  type LimitsOptions,
  measureLimits,
  measureLimitsInTempDir,
} from "./limits.ts";
export { type MachineInfo, machineInfo, packageVersion } from "./machine.ts";
export { fmtNum, mdTable, replaceSection } from "./markdown.ts";
export { makePayload, PAYLOAD_HEADER_BYTES, readStamp, stampPayload, wallClockMs } from "./payload.ts";
export {
  clockTicksPerSecond,
  descendants,
  isRunning,
  processTree,
  readCpuTicks,
  readRssBytes,
  treeUsage,
} from "./proc.ts";
export {
  fmtSpread,
  latencyTable,
  limitsSection,
  peersChart,
  peersSection,
  type Ratio,
  type ReportInput,
  ratiosTable,
  ratiosToBestPeer,
  startupTable,
  summarize,
  summaryJson,
  type TargetSummary,
} from "./report.ts";
export { ResourceMeter, type ResourceMeterOptions, type WindowUsage } from "./resource-meter.ts";
export { defaultServerProcessOptions, ServerProcess, type ServerProcessOptions } from "./server-process.ts";
export { shares } from "./shares.ts";
export { percentile, type Spread, sortedCopy, spread } from "./stats.ts";
export {
  defaultSuiteOptions,
  type LatencyFigures,
  type RepFigures,
  runRep,
  runSuite,
  type StartupFigures,
  type SuiteOptions,
  type TargetResult,
  type ThroughputFigures,
  throughputFigures,
} from "./suite.ts";
export {
  type Bar,
  type BarChartOptions,
  type BarPanel,
  barChartSvg,
  defaultBarChartOptions,
} from "./svg-chart.ts";
export type {
  AckSurvives,
  ClientRun,
  LatencyRun,
  StartInfo,
  Target,
  WorkloadContext,
  WorkloadWindow,
} from "./target.ts";
export { commandOutputLine, makeTempDir, removeDir } from "./temp-dir.ts";
export { defaultWaitUntilOptions, type WaitUntilOptions, waitUntil } from "./wait-until.ts";
