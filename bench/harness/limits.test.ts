import { afterAll, describe, expect, test } from "bun:test";
import { measureDisk, measureTcpLoopback, parseDdSummary } from "./limits.ts";
import { makeTempDir, removeDir } from "./temp-dir.ts";

const dir = makeTempDir("limits-test");
afterAll(() => removeDir(dir));

describe("limits", () => {
  test("parses dd's summary line", () => {
    const text =
      "1024+0 records in\n1024+0 records out\n1073741824 bytes (1.1 GB, 1.0 GiB) copied, 0.697922 s, 1.5 GB/s\n";
    expect(parseDdSummary(text)).toEqual({ bytes: 1073741824, seconds: 0.697922 });
    expect(() => parseDdSummary("dd: failed to open")).toThrow("no summary line");
  });

  test("measures the disk with small dd runs and leaves no file behind", () => {
    const d = measureDisk({ dir, ddBytes: 4 * 1024 * 1024, dsyncWrites: 20, tcpBytes: 0, runs: 1 });
    expect(d.ddBufferedMiBps).toBeGreaterThan(0);
    expect(d.ddFdatasyncMiBps).toBeGreaterThan(0);
    expect(d.dsyncWritesPerSec).toBeGreaterThan(0);
    expect([...new Bun.Glob("*").scanSync(dir)]).toEqual([]);
  });

  test("reports a dd failure with dd's message", () => {
    expect(() =>
      measureDisk({ dir: `${dir}/missing`, ddBytes: 1024 * 1024, dsyncWrites: 1, tcpBytes: 0, runs: 1 }),
    ).toThrow("dd if=/dev/zero");
  });

  test("sends bytes over loopback TCP to a sink process", async () => {
    expect(await measureTcpLoopback(8 * 1024 * 1024)).toBeGreaterThan(0);
  }, 20_000);
});
