import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTimerStore, type TimerEntry } from "./index.ts";

const CHILD = join(import.meta.dir, "testdata", "crash-child.ts");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * Runs the child until it has printed `killAfter` lines of `kind`, SIGKILLs it, and returns every number
 * it printed with that kind (lines already in the pipe at the kill included).
 */
async function runAndKill(args: string[], kind: string, killAfter: number): Promise<number[]> {
  const child = Bun.spawn([process.execPath, CHILD, ...args], { stdout: "pipe", stderr: "pipe" });
  const seen: number[] = [];
  const decoder = new TextDecoder();
  let rest = "";
  let killed = false;
  const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
  for await (const chunk of child.stdout) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop()!;
    for (const line of lines) {
      const [k, n] = line.split(" ");
      if (k === kind) seen.push(Number(n));
    }
    if (!killed && seen.length >= killAfter) {
      killed = true;
      child.kill("SIGKILL");
    }
  }
  clearTimeout(deadline);
  await child.exited;
  if (!killed) throw new Error(`child ended early: ${await new Response(child.stderr).text()}`);
  expect(child.signalCode).toBe("SIGKILL");
  return seen;
}

async function deliverAll(dir: string, clock: () => number): Promise<TimerEntry[]> {
  const store = await createTimerStore({ dir, clock });
  const got: TimerEntry[] = [];
  store.onDue(async (entries) => {
    got.push(...entries);
  });
  await store.deliverDue();
  await store.close();
  return got;
}

describe("timer store under SIGKILL", () => {
  test("every acknowledged timer survives repeated kills while scheduling", async () => {
    const dir = mkdtempSync(join(tmpdir(), "timer-crash-"));
    dirs.push(dir);
    const acked: number[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      acked.push(
        ...(await runAndKill(["schedule", dir, String(cycle)], "ack", 300 + Math.floor(Math.random() * 400))),
      );
      const check = await createTimerStore({ dir });
      expect(check.stats().pending).toBeGreaterThanOrEqual(acked.length);
      await check.close();
    }
    const got = await deliverAll(dir, () => Date.now() + 7_200_000);
    const delivered = new Set(got.map((e) => e.commitLogOffset));
    expect(delivered.size).toBe(got.length);
    expect(acked.filter((offset) => !delivered.has(offset))).toEqual([]);
    expect(got.every((e) => e.key === `u${e.commitLogOffset}` && e.size === 100)).toBe(true);
  }, 60_000);

  test("a kill while delivering repeats at most the batch in flight and loses nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "timer-crash-"));
    dirs.push(dir);
    const seed = await createTimerStore({ dir });
    const now = Date.now();
    await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        seed.schedule({ deliverAtMs: now - 1000 + i, commitLogOffset: i, size: 1 }),
      ),
    );
    await seed.close();
    const byChild = await runAndKill(["deliver", dir], "got", 100 + Math.floor(Math.random() * 200));
    const rest = (await deliverAll(dir, Date.now)).map((e) => e.commitLogOffset);
    const again = rest.filter((offset) => byChild.includes(offset));
    expect(again.length).toBeLessThanOrEqual(8);
    expect(new Set([...byChild, ...rest]).size).toBe(400);
    expect(new Set(byChild).size).toBe(byChild.length);
  }, 60_000);
});
