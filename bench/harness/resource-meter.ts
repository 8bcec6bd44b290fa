/**
 * Measures a server's CPU time over a workload window and samples its peak RSS while the window is
 * open. Owns a timer, hence a class with close().
 */
import { clockTicksPerSecond, treeUsage } from "./proc.ts";
import type { WorkloadWindow } from "./target.ts";

export interface ResourceMeterOptions {
  /** RSS sampling period while a window is open. */
  sampleMs: number;
}

export const defaultResourceMeterOptions: Readonly<ResourceMeterOptions> = Object.freeze({ sampleMs: 200 });

export interface WindowUsage {
  wallMs: number;
  serverCpuMs: number;
  peakRssBytes: number;
}

export class ResourceMeter implements WorkloadWindow {
  private readonly hz = clockTicksPerSecond();
  private readonly options: ResourceMeterOptions;
  private timer: ReturnType<typeof setInterval> | undefined;
  private t0 = 0;
  private cpu0 = 0;
  private peak = 0;
  private closed: WindowUsage | undefined;

  constructor(
    private readonly pids: () => number[],
    options: Partial<ResourceMeterOptions> = {},
  ) {
    this.options = { ...defaultResourceMeterOptions, ...options };
  }

  /** Opens (or re-opens) the window: what happened before is not counted. */
  begin(): void {
    const u = treeUsage(this.pids(), this.hz);
    this.t0 = performance.now();
    this.cpu0 = u.cpuMs;
    this.peak = u.rssBytes;
    this.closed = undefined;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.sample(), this.options.sampleMs);
  }

  /** Closes the window; a second end() without begin() keeps the first. */
  end(): void {
    if (this.closed || this.timer === undefined) return;
    const u = treeUsage(this.pids(), this.hz);
    clearInterval(this.timer);
    this.timer = undefined;
    this.closed = {
      wallMs: performance.now() - this.t0,
      serverCpuMs: u.cpuMs - this.cpu0,
      peakRssBytes: Math.max(this.peak, u.rssBytes),
    };
  }

  usage(): WindowUsage {
    if (!this.closed) throw new Error("ResourceMeter: usage() before end()");
    return this.closed;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    this.peak = Math.max(this.peak, treeUsage(this.pids(), this.hz).rssBytes);
  }
}
