/** A benchmark's data folder under the system temp dir, removed by the target's stop(). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `bunmq-bench-${prefix}-`));
}

export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** First line of `cmd` output (a version banner), or "unknown" when the program is missing. */
export function commandOutputLine(cmd: string[]): string {
  try {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    const text = `${r.stdout.toString()}${r.stderr.toString()}`.trim();
    return text.split("\n")[0] || "unknown";
  } catch {
    return "unknown";
  }
}
