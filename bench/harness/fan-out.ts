/**
 * Runs a load-generator job in several Bun child processes at once, so that one client process
 * pinned on a core does not become the bottleneck. All children connect first; the measured
 * window opens when every child is ready and closes when their summed progress reaches the total.
 */

import type { Subprocess } from "bun";
import { roleRuntimeEnv } from "../../config/index.ts";
import type { GeneratorResult } from "./generator-job.ts";
import type { ClientRun, WorkloadContext, WorkloadWindow } from "./target.ts";

export interface FanOutOptions<P> {
  /** Absolute path of the module that exports the job. */
  module: string;
  /** Name of the exported GeneratorJob. */
  job: string;
  /** One params object per child process. */
  params: P[];
  /** Messages expected in total; the window closes when the children's progress adds up to it. */
  total: number;
  /** Tell the children to stop at the total (consumers sharing one queue cannot know their share). */
  stopAtTotal: boolean;
  window: WorkloadWindow;
  timeoutMs: number;
  /** Fails the run when the summed progress stands still this long after go (e.g. lost messages). */
  stallTimeoutMs?: number;
}

export const defaultFanOutTimeoutMs = 600_000;
export const defaultStallTimeoutMs = 30_000;

interface Child {
  proc: Subprocess<"pipe", "pipe", "pipe">;
  progress: number;
  ready: boolean;
  eof: boolean;
  result?: GeneratorResult;
  error?: string;
  stderr: string;
}

const generatorPath = new URL("./generator.ts", import.meta.url).pathname;

export async function fanOut<P>(options: FanOutOptions<P>): Promise<ClientRun> {
  const children: Child[] = options.params.map((p) => ({
    proc: Bun.spawn([process.execPath, generatorPath, options.module, options.job, JSON.stringify(p)], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      // Every generator, the peers' and ours alike, runs without Bun's 1 s idle GC timer, whose collections showed
      // up as the producer's own send lag in W3 (the servers under test run as their role scripts start them).
      env: { ...process.env, ...roleRuntimeEnv },
    }),
    progress: 0,
    ready: false,
    eof: false,
    stderr: "",
  }));

  let goAt = 0;
  let doneAt = 0;
  let movedAt = 0;
  const stallMs = options.stallTimeoutMs ?? defaultStallTimeoutMs;
  let wake: () => void = () => {};
  const changed = () => wake();
  const send = (line: string) => {
    for (const c of children) {
      if (c.result || c.error) continue;
      c.proc.stdin.write(`${line}\n`);
      c.proc.stdin.flush();
    }
  };
  const total = () => children.reduce((s, c) => s + c.progress, 0);

  const onLine = (c: Child, line: string) => {
    if (line === "ready") c.ready = true;
    else if (line.startsWith("progress ")) {
      c.progress = Number(line.slice(9));
      movedAt = performance.now();
      if (doneAt === 0 && goAt > 0 && total() >= options.total) {
        doneAt = performance.now();
        options.window.end();
        if (options.stopAtTotal) send("stop");
      }
    } else if (line.startsWith("result ")) c.result = JSON.parse(line.slice(7)) as GeneratorResult;
    else if (line.startsWith("error ")) c.error = line.slice(6);
    changed();
  };

  const pumps = children.map(async (c) => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of c.proc.stdout) {
      buf += decoder.decode(chunk, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        onLine(c, buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
      }
    }
    c.eof = true;
    changed();
  });
  const errPumps = children.map(async (c) => {
    c.stderr = await new Response(c.proc.stderr).text();
  });

  const deadline = performance.now() + options.timeoutMs;
  const waitFor = async (what: string, cond: () => boolean) => {
    while (!cond()) {
      const failed = children.find((x) => x.error || (x.eof && !x.result));
      if (failed) {
        await Promise.race([Promise.all(errPumps), Bun.sleep(200)]);
        const why = failed.error ?? `exited without a result (${failed.proc.exitCode})`;
        throw new Error(`generator ${options.job} failed: ${why} ${failed.stderr.slice(-1500)}`);
      }
      const now = performance.now();
      const left = deadline - now;
      if (left <= 0) throw new Error(`generator ${options.job}: ${what} not within ${options.timeoutMs} ms`);
      if (goAt > 0 && doneAt === 0 && now - Math.max(goAt, movedAt) > stallMs) {
        throw new Error(
          `generator ${options.job}: progress stuck at ${total()} of ${options.total} for ${stallMs} ms`,
        );
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, Math.min(left, 250));
      });
    }
  };

  try {
    await waitFor("ready", () => children.every((c) => c.ready));
    options.window.begin();
    goAt = performance.now();
    movedAt = goAt;
    send("go");
    await waitFor("results", () => children.every((c) => c.result));
    await Promise.all(pumps);
  } finally {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
  }
  if (doneAt === 0) {
    doneAt = performance.now();
    options.window.end();
  }
  const results = children.map((c) => c.result!);
  return {
    count: results.reduce((s, r) => s + r.count, 0),
    elapsedMs: doneAt - goAt,
    clientCpuMs: results.reduce((s, r) => s + r.cpuMs, 0),
    clientProcesses: children.length,
  };
}

/** fanOut with the default timeout, for one workload's jobs. */
export type WorkloadFanOut = <P>(
  module: string,
  job: string,
  params: P[],
  total: number,
  window: WorkloadWindow,
) => Promise<ClientRun>;

/** W1: each child publishes its own share of `total`. */
export const fanOutPublish: WorkloadFanOut = (module, job, params, total, window) =>
  fanOut({ module, job, params, total, stopAtTotal: false, window, timeoutMs: defaultFanOutTimeoutMs });

/** W2: children share the queues, so they stop when together they reach `total`. */
export const fanOutConsume: WorkloadFanOut = (module, job, params, total, window) =>
  fanOut({ module, job, params, total, stopAtTotal: true, window, timeoutMs: defaultFanOutTimeoutMs });

/** The generator processes for a workload: the run's choice when it made one, else the target's. */
export function workloadProcesses(ctx: WorkloadContext, fallback: number): number {
  return ctx.processes > 0 ? ctx.processes : fallback;
}
