import * as fs from "node:fs";
import * as path from "node:path";
import { parseDdSummary } from "./limits.ts";

const MiB = 1024 * 1024;

/** MiB/s of one dd run writing zeros to a file in `dir` (dd's own timing); the file is removed afterwards. */
export function ddMiBps(dir: string, args: string[]): number {
  const file = path.join(dir, "dd.bin");
  try {
    const r = Bun.spawnSync(["dd", "if=/dev/zero", `of=${file}`, ...args], {
      stdout: "ignore",
      stderr: "pipe",
      env: { ...process.env, LC_ALL: "C" },
    });
    if (r.exitCode !== 0) throw new Error(`dd ${args.join(" ")} failed: ${r.stderr.toString().trim()}`);
    const { bytes, seconds } = parseDdSummary(r.stderr.toString());
    return bytes / MiB / seconds;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/**
 * Writes and deletes a file of `mib` MiB in `dir`, so that the next run gets pages this VM still has: it hands
 * memory that stayed free for a few seconds back to its host (virtio-balloon free page reporting), and writing into
 * such pages costs 4-8 times more (docs/storage.md).
 */
export function warmPages(dir: string, mib: number): void {
  const file = path.join(dir, "warm.bin");
  Bun.spawnSync(["dd", "if=/dev/zero", `of=${file}`, "bs=1M", `count=${mib}`], {
    stdout: "ignore",
    stderr: "ignore",
  });
  fs.rmSync(file, { force: true });
}
