import { describe, expect, test } from "bun:test";
import { fanOut } from "./fan-out.ts";
import type { WorkloadWindow } from "./target.ts";

const jobs = new URL("./fan-out-test-jobs.ts", import.meta.url).pathname;

function recordingWindow(): WorkloadWindow & { events: string[] } {
  const events: string[] = [];
  return { events, begin: () => events.push("begin"), end: () => events.push("end") };
}

describe("fanOut", () => {
  test("adds up the counts and CPU of several child processes", async () => {
    const window = recordingWindow();
    const run = await fanOut({
      module: jobs,
      job: "countTo",
      params: [{ n: 1000 }, { n: 500 }],
      total: 1500,
      stopAtTotal: false,
      window,
      timeoutMs: 20_000,
    });
    expect(run.count).toBe(1500);
    expect(run.clientProcesses).toBe(2);
    expect(run.clientCpuMs).toBeGreaterThan(0);
    expect(run.elapsedMs).toBeGreaterThan(0);
    expect(window.events).toEqual(["begin", "end"]);
  }, 30_000);

  test("stops consumers once their progress reaches the total", async () => {
    const window = recordingWindow();
    const run = await fanOut({
      module: jobs,
      job: "countUntilStopped",
      params: [{ step: 10 }, { step: 10 }],
      total: 2000,
      stopAtTotal: true,
      window,
      timeoutMs: 20_000,
    });
    expect(run.count).toBeGreaterThanOrEqual(2000);
    expect(window.events).toEqual(["begin", "end"]);
  }, 30_000);

  test("reports a job's error with its message", async () => {
    const run = fanOut({
      module: jobs,
      job: "failAfterReady",
      params: [{}],
      total: 1,
      stopAtTotal: false,
      window: recordingWindow(),
      timeoutMs: 20_000,
    });
    await expect(run).rejects.toThrow("job broke on purpose");
  }, 30_000);

  test("reports an unknown job name", async () => {
    const run = fanOut({
      module: jobs,
      job: "noSuchJob",
      params: [{}],
      total: 1,
      stopAtTotal: false,
      window: recordingWindow(),
      timeoutMs: 20_000,
    });
    await expect(run).rejects.toThrow("has no job noSuchJob");
  }, 30_000);

  test("fails when progress stands still short of the total", async () => {
    const run = fanOut({
      module: jobs,
      job: "stallAt",
      params: [{ n: 5 }],
      total: 10,
      stopAtTotal: true,
      window: recordingWindow(),
      timeoutMs: 20_000,
      stallTimeoutMs: 300,
    });
    await expect(run).rejects.toThrow("progress stuck at 5 of 10");
  }, 30_000);
});
