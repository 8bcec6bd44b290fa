/**
 * Child-process entry for fanOut(): `bun generator.ts <module> <export> <params-json>`.
 * Lines on stdout: "ready", "progress <n>", "result <json>", "error <text>".
 * Lines on stdin: "go", "stop".
 */
import type { GeneratorControl, GeneratorJob, GeneratorResult } from "./generator-job.ts";

const PROGRESS_EVERY_MS = 5;

async function main(): Promise<void> {
  const [modulePath, exportName, paramsJson] = process.argv.slice(2);
  const mod = (await import(modulePath)) as Record<string, unknown>;
  const job = mod[exportName] as GeneratorJob<unknown> | undefined;
  if (typeof job !== "function") throw new Error(`${modulePath} has no job ${exportName}`);
  const params: unknown = JSON.parse(paramsJson);

  let resolveGo!: () => void;
  let resolveStop!: () => void;
  const go = new Promise<void>((r) => {
    resolveGo = r;
  });
  const stop = new Promise<void>((r) => {
    resolveStop = r;
  });
  let stopped = false;
  let buffered = "";
  process.stdin.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === "go") resolveGo();
      if (line === "stop") {
        stopped = true;
        resolveStop();
      }
      nl = buffered.indexOf("\n");
    }
  });

  let cpuAtGo: NodeJS.CpuUsage | undefined;
  let reported = 0;
  let latest = 0;
  let lastWrite = 0;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  const writeProgress = () => {
    flushTimer = undefined;
    if (latest === reported) return;
    reported = latest;
    lastWrite = performance.now();
    process.stdout.write(`progress ${latest}\n`);
  };
  const ctl: GeneratorControl = {
    async ready() {
      process.stdout.write("ready\n");
      await go;
      cpuAtGo = process.cpuUsage();
    },
    progress(count: number) {
      latest = count;
      if (performance.now() - lastWrite >= PROGRESS_EVERY_MS) writeProgress();
      else flushTimer ??= setTimeout(writeProgress, PROGRESS_EVERY_MS);
    },
    get stopped() {
      return stopped;
    },
    stop,
  };

  const outcome = await job(params, ctl);
  const cpu = process.cpuUsage(cpuAtGo);
  clearTimeout(flushTimer);
  latest = outcome.count;
  writeProgress();
  const result: GeneratorResult = { count: outcome.count, cpuMs: (cpu.user + cpu.system) / 1000 };
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((e: unknown) => {
  const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stdout.write(`error ${text.replaceAll("\n", " | ")}\n`);
  process.exit(1);
});
