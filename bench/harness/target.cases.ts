/**
 * The case suite every Target passes (peers in bench/peers/peers.test.ts; bunmq targets in
 * bench/targets/ run it too). Small counts: this checks behaviour, not speed.
 */
import { describe, expect, test } from "bun:test";
import { isRunning, processTree } from "./proc.ts";
import type { Target, WorkloadContext, WorkloadWindow } from "./target.ts";

function countingWindow(): WorkloadWindow & { begun: number; ended: number } {
  const w = {
    begun: 0,
    ended: 0,
    begin() {
      w.begun++;
    },
    end() {
      w.ended++;
    },
  };
  return w;
}

export function runTargetCases(label: string, create: () => Target, timeoutMs = 120_000): void {
  describe(label, () => {
    test(
      "starts, serves W1-W3 with every message accounted for, and stops every process it started",
      async () => {
        const target = create();
        expect(target.name).toMatch(/^[a-z0-9-]+$/);
        expect(target.durability.length).toBeGreaterThan(20);
        expect(["process crash", "machine crash"]).toContain(target.ackSurvives);
        let pids: number[] = [];
        try {
          const { startupMs } = await target.start();
          expect(startupMs).toBeGreaterThan(0);
          pids = processTree(target.serverPids());
          expect(pids.length).toBeGreaterThan(0);

          const window = countingWindow();
          const ctx: WorkloadContext = { messageSize: 1024, window, processes: 0 };
          const published = await target.publish(300, ctx);
          expect(published.count).toBe(300);
          expect(published.clientProcesses).toBeGreaterThan(0);
          expect(published.clientCpuMs).toBeGreaterThan(0);
          const consumed = await target.consume(300, ctx);
          expect(consumed.count).toBe(300);
          expect(window.begun).toBeGreaterThanOrEqual(2);
          expect(window.ended).toBeGreaterThanOrEqual(2);

          const latency = await target.latencyRun(200, 1, ctx);
          expect(latency.sent).toBe(200);
          expect(latency.count).toBe(200);
          expect(latency.latenciesMs.length).toBe(200);
          expect(Math.min(...latency.latenciesMs)).toBeGreaterThan(0);
        } finally {
          await target.stop();
        }
        expect(target.serverPids()).toEqual([]);
        // Helpers orphaned by the server's exit end a moment later: wait with a deadline.
        const deadline = Date.now() + 10_000;
        while (pids.some(isRunning) && Date.now() < deadline) await Bun.sleep(20);
        expect(pids.filter(isRunning)).toEqual([]);
      },
      timeoutMs,
    );

    test("stop() before start() does nothing", async () => {
      const target = create();
      await target.stop();
      expect(target.serverPids()).toEqual([]);
    });
  });
}
