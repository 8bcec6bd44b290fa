import { afterAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { BLANK_MAGIC_CODE, checkMessageRecord } from "../../proto/message/index.ts";
import { createMessageStore } from "./message-store.ts";
import type { FlushDiskType } from "./options.ts";
import { type Ack, crashBody, crashStoreOptions, parseAck } from "./testdata/crash-workload.ts";
import { removeDir, tempDir } from "./testdata/fixture.ts";

/** Every third cycle first kills a writer at a random moment of its start-up (often in the middle of recovery). */
const EARLY_KILL_EVERY = 3;
/** A writer that prints nothing new for this long is stuck, not slow: the test fails. */
const STALL_MS = 20_000;
const WRITER = path.join(import.meta.dir, "testdata", "crash-writer.ts");
const dir = tempDir("crash");
afterAll(() => removeDir(dir));

/** mulberry32: a seeded PRNG so a failing run can be replayed from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** When to SIGKILL a writer: `afterMs` after start, or `extraMs` after its `acks`-th acknowledgement. */
type KillAt = { afterMs: number } | { acks: number; extraMs: number };

/**
 * Runs the writer and SIGKILLs it at `kill`; returns the complete lines it printed (a line cut by the kill is
 * dropped: it is not an acknowledgement we can trust to have been read whole). Waiting for acknowledgements
 * instead of a fixed time makes every such run verify and write something however loaded the machine is.
 */
async function runAndKill(
  flushDiskType: FlushDiskType,
  ackFile: string,
  first: number,
  kill: KillAt,
): Promise<string[]> {
  const storeDir = path.join(dir, flushDiskType);
  const child = Bun.spawn([process.execPath, WRITER, storeDir, ackFile, String(first), flushDiskType], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = new Response(child.stderr).text();
  let killTimer: ReturnType<typeof setTimeout> | null = null;
  const killIn = (ms: number) => {
    killTimer ??= setTimeout(() => child.kill("SIGKILL"), ms);
  };
  if ("afterMs" in kill) killIn(kill.afterMs);
  let stalled = false;
  let stallTimer = setTimeout(() => {}, 0);
  const watchStall = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      stalled = true;
      child.kill("SIGKILL");
    }, STALL_MS);
  };
  watchStall();
  let text = "";
  let counted = 0;
  let acks = 0;
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    watchStall();
    text += decoder.decode(chunk, { stream: true });
    if ("acks" in kill && killTimer === null) {
      for (let end = text.indexOf("\n", counted); end >= 0; end = text.indexOf("\n", counted)) {
        if (text.startsWith("A ", counted)) acks++;
        counted = end + 1;
      }
      if (acks >= kill.acks) killIn(kill.extraMs);
    }
  }
  await child.exited;
  clearTimeout(stallTimer);
  if (killTimer) clearTimeout(killTimer);
  if (stalled) throw new Error(`writer printed nothing for ${STALL_MS} ms: ${text.slice(-300)}`);
  if (child.signalCode !== "SIGKILL" && child.exitCode !== 0) {
    throw new Error(
      `writer exited with ${child.exitCode}: ${text.slice(-500)} ${(await stderr).slice(-2000)}`,
    );
  }
  const lines = text.split("\n");
  lines.pop();
  return lines;
}

/**
 * SYNC_FLUSH (O_DSYNC writes through append buffers) gets the most cycles; ASYNC_FLUSH acknowledges what is in
 * the page cache (encoded straight into the segment mapping), which a SIGKILL must not lose either.
 */
test.each([
  ["SYNC_FLUSH", 24],
  ["ASYNC_FLUSH", 12],
] as const)(
  "%s: SIGKILL at random points (%d cycles) never loses or changes an acknowledged message",
  async (flushDiskType, CYCLES) => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const ackFile = path.join(dir, `${flushDiskType}-acks.jsonl`);
    const acks: Ack[] = [];
    const record = (cycle: number, lines: string[]): boolean => {
      let verified = false;
      for (const line of lines) {
        if (line.startsWith("V fail")) throw new Error(`cycle ${cycle} (seed ${seed}): ${line}`);
        if (line.startsWith("V ok")) {
          expect(Number(line.slice(5)), `cycle ${cycle} (seed ${seed})`).toBe(acks.length);
          verified = true;
        }
        const ack = parseAck(line);
        if (ack) acks.push(ack);
      }
      fs.writeFileSync(ackFile, acks.map((a) => JSON.stringify(a)).join("\n"));
      return verified;
    };
    let next = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      if (cycle % EARLY_KILL_EVERY === EARLY_KILL_EVERY - 1) {
        next += 1_000_000;
        record(
          cycle,
          await runAndKill(flushDiskType, ackFile, next, { afterMs: Math.floor(random() * 150) }),
        );
      }
      // At least one acknowledgement, then up to ~10 ms on: a random point of the append loop (puts, writes and
      // syncs in flight, segments and ConsumeQueue/index files rolling).
      const acksBefore = acks.length;
      const kill = { acks: 1 + Math.floor(random() * 150), extraMs: Math.floor(random() * 10) };
      next += 1_000_000;
      const verified = record(cycle, await runAndKill(flushDiskType, ackFile, next, kill));
      expect(verified, `cycle ${cycle} (seed ${seed}) verified the earlier acknowledgements`).toBe(true);
      expect(acks.length, `cycle ${cycle} (seed ${seed}) acknowledged messages`).toBeGreaterThan(acksBefore);
    }
    expect(acks.length).toBeGreaterThan(CYCLES);

    // Final restart in this process: every acknowledged message is there, byte for byte, in its queue position.
    const store = await createMessageStore(crashStoreOptions(path.join(dir, flushDiskType), flushDiskType));
    try {
      for (const a of acks) {
        const m = store.lookMessageByOffset(a.commitLogOffset);
        expect(m, `message ${a.i} (seed ${seed})`).not.toBeNull();
        expect(Bun.hash.crc32(m!.raw)).toBe(a.crc);
        expect([m!.queueId, m!.queueOffset]).toEqual([a.queueId, a.queueOffset]);
        expect(m!.body).toEqual(crashBody(a.i));
      }
      // Queue offsets are continuous: each queue holds exactly 0..max-1, in CommitLog order.
      for (let q = 0; q < 4; q++) {
        let offset = 0;
        let lastCommitLogOffset = -1;
        for (;;) {
          const r = store.getMessages({
            topic: "Crash",
            queueId: q,
            queueOffset: offset,
            maxCount: 64,
            maxBytes: 1 << 20,
          });
          if (r.status !== "FOUND") break;
          for (const m of r.messages) {
            expect(m.queueOffset).toBe(offset++);
            expect(m.commitLogOffset).toBeGreaterThan(lastCommitLogOffset);
            lastCommitLogOffset = m.commitLogOffset;
          }
        }
        expect(offset).toBe(store.getMaxOffsetInQueue("Crash", q));
      }
      // The CommitLog is continuous: record after record, blank markers only at segment ends.
      let offset = store.minPhysicalOffset;
      let records = 0;
      while (offset < store.maxPhysicalOffset) {
        const chunk = store.getCommitLogData(offset, 256 * 1024);
        const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        let pos = 0;
        while (pos < chunk.length) {
          if (view.getInt32(pos + 4) === BLANK_MAGIC_CODE) {
            expect(view.getInt32(pos)).toBe(64 * 1024 - ((offset + pos) % (64 * 1024)));
            pos = chunk.length;
            offset = (Math.floor(offset / (64 * 1024)) + 1) * 64 * 1024;
            break;
          }
          const check = checkMessageRecord(chunk, view, pos, chunk.length - pos, {
            checkCRC: true,
            expectedOffset: offset + pos,
          });
          expect(check.kind).toBe("message");
          if (check.kind !== "message") break;
          pos += check.size;
          records++;
        }
        if (pos === chunk.length && view.getInt32(Math.max(0, pos - 8) + 4) !== BLANK_MAGIC_CODE)
          offset += pos;
      }
      expect(records).toBeGreaterThanOrEqual(acks.length);
      // And appends go on.
      const after = await store.putMessage({ topic: "Crash", queueId: 0, body: crashBody(1) });
      expect(after.queueOffset).toBe(store.getMaxOffsetInQueue("Crash", 0) - 1);
    } finally {
      await store.close();
    }
  },
  60_000,
);
