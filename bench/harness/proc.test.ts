import { afterEach, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import {
  clockTicksPerSecond,
  descendants,
  isRunning,
  readCpuTicks,
  readRssBytes,
  treeUsage,
} from "./proc.ts";

const started: Subprocess[] = [];
afterEach(() => {
  for (const p of started.splice(0)) p.kill("SIGKILL");
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

describe("proc", () => {
  test("reads a plausible CLK_TCK from the aux vector", () => {
    const hz = clockTicksPerSecond();
    expect(hz).toBeGreaterThanOrEqual(100);
    expect(hz).toBeLessThanOrEqual(1000);
  });

  test("finds grandchildren and sums their CPU and RSS", async () => {
    // sh -> sh (busy loop) and sleep: the tree has at least three processes.
    const p = Bun.spawn(["sh", "-c", "(while :; do :; done) & sleep 30 & wait"], { stdout: "ignore" });
    started.push(p);
    await waitFor(() => descendants(p.pid).length >= 2, 5000);
    const before = treeUsage([p.pid], clockTicksPerSecond());
    expect(before.pids).toContain(p.pid);
    expect(before.pids.length).toBeGreaterThanOrEqual(3);
    expect(before.rssBytes).toBeGreaterThan(0);
    // The busy child burns CPU; wait until the tree shows it rather than sleeping a fixed time.
    await waitFor(() => treeUsage([p.pid], clockTicksPerSecond()).cpuMs >= before.cpuMs + 50, 10_000);
    const kids = descendants(p.pid);
    for (const k of kids) process.kill(k, "SIGKILL");
  });

  test("answers undefined for a process that is gone", async () => {
    const p = Bun.spawn(["true"]);
    await p.exited;
    expect(readCpuTicks(p.pid)).toBeUndefined();
    expect(isRunning(p.pid)).toBe(false);
    expect(isRunning(process.pid)).toBe(true);
    expect(readRssBytes(p.pid)).toBeUndefined();
    expect(readCpuTicks(process.pid)).toBeGreaterThanOrEqual(0);
    expect(readRssBytes(process.pid)).toBeGreaterThan(1024 * 1024);
  });
});
