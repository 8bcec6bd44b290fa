import { describe, expect, test } from "bun:test";
import { LatencyRecorder, runFixedRate } from "./fixed-rate.ts";
import { makePayload, readStamp, stampPayload } from "./payload.ts";
import type { WorkloadWindow } from "./target.ts";

const window: WorkloadWindow = { begin() {}, end() {} };

describe("runFixedRate", () => {
  test("sends rate x seconds messages and records one latency per arrival", async () => {
    const recorder = new LatencyRecorder(100);
    const run = await runFixedRate({
      rate: 500,
      seconds: 0.2,
      messageSize: 64,
      recorder,
      window,
      drainMs: 5000,
      // A loopback "broker": acks now, delivers on the next tick.
      send: async (body) => {
        setTimeout(() => recorder.receive(body), 1);
      },
    });
    expect(run.sent).toBe(100);
    expect(run.count).toBe(100);
    expect(run.latenciesMs.length).toBe(100);
    expect(Math.min(...run.latenciesMs)).toBeGreaterThanOrEqual(0);
  });

  test("counts duplicates once and reports a lost message as missing", async () => {
    const recorder = new LatencyRecorder(20);
    const run = await runFixedRate({
      rate: 1000,
      seconds: 0.02,
      messageSize: 32,
      recorder,
      window,
      drainMs: 200,
      send: async (body, seq) => {
        if (seq === 7) return; // lost
        recorder.receive(body);
        recorder.receive(body); // redelivered
      },
    });
    expect(run.sent).toBe(20);
    expect(run.count).toBe(19);
  });

  test("fails the run when a send is refused", async () => {
    const recorder = new LatencyRecorder(10);
    const run = runFixedRate({
      rate: 1000,
      seconds: 0.01,
      messageSize: 32,
      recorder,
      window,
      drainMs: 100,
      send: async () => {
        throw new Error("refused");
      },
    });
    await expect(run).rejects.toThrow("refused");
  });
});

describe("payload", () => {
  test("round-trips the stamp and refuses short bodies", () => {
    const body = stampPayload(makePayload(1024), 123456, 1.5e12 + 0.25);
    expect(body.byteLength).toBe(1024);
    expect(readStamp(body)).toEqual({ seq: 123456, sentAtMs: 1.5e12 + 0.25 });
    expect(() => makePayload(4)).toThrow("at least 12");
    expect(() => readStamp(new Uint8Array(3))).toThrow("too short");
  });
});
