import { describe, expect, test } from "bun:test";
import {
  fmtSpread,
  latencyTable,
  peersChart,
  ratiosToBestPeer,
  spreadFields,
  startupTable,
  summarize,
} from "./report.ts";
import type { RepFigures, TargetResult } from "./suite.ts";

function rep(msgsPerSec: number, p99Ms: number): RepFigures {
  const t = {
    count: 100,
    elapsedMs: 1,
    msgsPerSec,
    mibPerSec: msgsPerSec / 1024,
    serverCpuMs: 1,
    clientCpuMs: 1,
    serverCpuUsPerMsg: 10,
    clientCpuUsPerMsg: 10,
    serverCores: 0.5,
    clientCores: 0.5,
    clientProcesses: 2,
    peakRssBytes: 1,
  };
  return {
    w1: t,
    w2: t,
    w3: { ...t, sent: 100, p50Ms: 1, p99Ms, p999Ms: p99Ms * 2, maxMs: p99Ms * 3, sendLagP99Ms: Number.NaN },
    w4: { startupMs: 100, idleRssBytes: 1 << 20, idleCores: 0 },
  };
}

function result(name: string, ackSurvives: TargetResult["ackSurvives"], reps: RepFigures[]): TargetResult {
  return { name, system: name, durability: "", ackSurvives, client: "", reps, errors: [] };
}

describe("report", () => {
  test("spreads every numeric field over repetitions and skips NaN", () => {
    const s = spreadFields([
      { a: 3, b: Number.NaN },
      { a: 1, b: 2 },
      { a: 2, b: Number.NaN },
    ]);
    expect(s?.a).toEqual({ min: 1, median: 2, max: 3 });
    expect(s?.b).toEqual({ min: 2, median: 2, max: 2 });
    expect(spreadFields([])).toBeUndefined();
  });

  test("formats a spread as median (min–max)", () => {
    expect(fmtSpread({ min: 1000, median: 1500, max: 2000 })).toBe("1,500 (1,000–2,000)");
    expect(fmtSpread({ min: 5, median: 5, max: 5 })).toBe("5.00");
    expect(fmtSpread(undefined)).toBe("–");
  });

  test("compares a candidate with the best peer of the same durability", () => {
    const peers = [
      summarize(result("fast-but-volatile", "process crash", [rep(90_000, 1)])),
      summarize(result("synced-a", "machine crash", [rep(20_000, 5)])),
      summarize(result("synced-b", "machine crash", [rep(30_000, 8)])),
    ];
    const candidate = summarize(
      result("bunmq", "machine crash", [rep(60_000, 4), rep(40_000, 2), rep(50_000, 3)]),
    );
    const ratios = ratiosToBestPeer(candidate, peers);
    const w1 = ratios.find((r) => r.metric === "W1 publish msg/s")!;
    expect(w1.bestPeer).toBe("synced-b");
    expect(w1.ratio).toBeCloseTo(50_000 / 30_000, 6);
    const p99 = ratios.find((r) => r.metric === "W3 p99 ms")!;
    expect(p99.bestPeer).toBe("synced-a");
    expect(p99.ratio).toBeCloseTo(3 / 5, 6);
  });

  test("falls back to all peers when none has the candidate's durability", () => {
    const peers = [summarize(result("volatile", "process crash", [rep(10, 1)]))];
    const candidate = summarize(result("bunmq", "machine crash", [rep(20, 1)]));
    expect(ratiosToBestPeer(candidate, peers)[0].bestPeer).toBe("volatile");
  });

  test("charts the targets that have results, highlighting the chosen ones", () => {
    const svg = peersChart(
      [
        result("a", "machine crash", [rep(1, 1)]),
        result("b", "machine crash", []),
        result("bunmq", "machine crash", [rep(2, 1)]),
      ],
      (n) => n === "bunmq",
    );
    expect(svg).toContain(">a<");
    expect(svg).not.toContain(">b<");
    expect(svg.match(/class="hi"/g)?.length).toBe(4);
  });

  test("gives W3 p50 per one sync write only when the sync write time is known", () => {
    const rows = [
      summarize(result("a", "machine crash", [rep(1, 3)])),
      summarize(result("b", "machine crash", [])),
    ];
    const withSync = latencyTable(rows, 0.5).split("\n");
    expect(withSync[0]).toContain("| p50 / one sync write |");
    expect(withSync[2]).toBe("| a | 1.00 | 3.00 | 6.00 | 9.00 | 2.0× | 100 / 100 | 10.0 | 0.50 | 0.50 | – |");
    expect(withSync[3]).toBe("| b | – | – | – | – | – | – | – | – | – | – |");
    const without = latencyTable(rows).split("\n");
    expect(without[0]).not.toContain("sync write");
    expect(without[2]).toBe("| a | 1.00 | 3.00 | 6.00 | 9.00 | 100 / 100 | 10.0 | 0.50 | 0.50 | – |");
  });

  test("gives W4 start-up, idle RSS in MiB and idle CPU in percent", () => {
    const lines = startupTable([summarize(result("a", "machine crash", [rep(1, 1)]))]).split("\n");
    expect(lines[0]).toBe("| target | start-up to serving ms | idle RSS MiB | idle CPU % |");
    expect(lines[2]).toBe("| a | 100 | 1.00 | 0.0 |");
  });
});
