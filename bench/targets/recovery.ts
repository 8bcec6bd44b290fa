/**
 * W5, crash recovery: a broker (`bun bin/broker.ts`, ASYNC_FLUSH, no nameserver) takes at least 1 GiB of 1 KiB
 * messages (SEND_BATCH_MESSAGE), is killed with SIGKILL (its abort marker stays, so the next start recovers as
 * after a crash: CRC check of the CommitLog from the last checkpoint, ConsumeQueues and index rebuilt), and is
 * started again on the same store. Recovery time runs from that spawn until the broker answers GET_MAX_OFFSET
 * for every queue with the acked counts, i.e. it serves with nothing lost.
 */
import { join } from "node:path";
import { decodeMessageRecord } from "../../proto/message/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import {
  fanOut,
  freePort,
  isRunning,
  makeTempDir,
  removeDir,
  ServerProcess,
  shares,
  waitUntil,
} from "../harness/index.ts";
import { createTopic, remotingCall } from "./remoting-admin.ts";
import type { RemotingPublishParams } from "./remoting-jobs.ts";
import { pullHeader } from "./remoting-messages.ts";
import { binPath } from "./stack.ts";

export interface RecoveryOptions {
  /** Write at least this many CommitLog bytes before the kill. */
  commitLogBytes: number;
  messageSize: number;
  queues: number;
  batch: number;
  publishProcesses: number;
  startTimeoutMs: number;
  logLevel: string;
}

export const defaultRecoveryOptions: Readonly<RecoveryOptions> = Object.freeze({
  commitLogBytes: 1024 * 1024 * 1024,
  messageSize: 1024,
  queues: 8,
  batch: 32,
  publishProcesses: 2,
  startTimeoutMs: 300_000,
  logLevel: "warn",
});

export interface RecoveryFigures {
  commitLogBytes: number;
  messages: number;
  /** How long writing them took (SEND_BATCH_MESSAGE, for the record). */
  writeMs: number;
  /** Spawn of the restarted broker until it serves every acked message's queue offset. */
  recoveryMs: number;
  /** Acked before the kill and not found after the restart (ASYNC_FLUSH: the kill keeps the page cache). */
  lostMessages: number;
}

const jobs = new URL("./remoting-jobs.ts", import.meta.url).pathname;
const window = { begin() {}, end() {} };

export async function measureRecovery(options: Partial<RecoveryOptions> = {}): Promise<RecoveryFigures> {
  const o = { ...defaultRecoveryOptions, ...options };
  const dir = makeTempDir("w5");
  const port = freePort();
  const addr = `127.0.0.1:${port}`;
  const started: ServerProcess[] = [];
  const spawn = () => {
    const p = new ServerProcess({
      cmd: [
        process.execPath,
        binPath("broker"),
        "--bindAddress",
        "127.0.0.1",
        "--listenPort",
        String(port),
        "--storePathRootDir",
        join(dir, "store"),
      ],
      env: { BUNMQ_HOME: dir, BUNMQ_LOG_LEVEL: o.logLevel },
      cwd: dir,
      logFile: join(dir, "broker.log"),
      stopGraceMs: 30_000,
    });
    started.push(p);
    return p;
  };
  const serving = (p: ServerProcess, probe: () => Promise<boolean>) =>
    waitUntil("broker serving", async () => ((await probe()) ? true : undefined), {
      timeoutMs: o.startTimeoutMs,
      intervalMs: 5,
      abortReason: () => (p.exited !== null ? `exited: ${p.tail()}` : undefined),
    });
  const maxOffsets = async (): Promise<number[] | undefined> => {
    const out: number[] = [];
    for (let q = 0; q < o.queues; q++) {
      const r = await remotingCall(addr, RequestCode.GET_MAX_OFFSET, { topic: "w5", queueId: q });
      if (r.code !== 0) return undefined;
      out.push(Number(r.extFields.offset));
    }
    return out;
  };
  try {
    const first = spawn();
    await serving(
      first,
      async () => (await remotingCall(addr, RequestCode.GET_BROKER_RUNTIME_INFO)).code === 0,
    );
    await createTopic(addr, "w5", o.queues);

    // One probe batch tells the record size, hence how many messages make the target size.
    const publish = async (n: number) => {
      const params: RemotingPublishParams[] = shares(n, o.publishProcesses).map((share, i) => ({
        addr,
        topic: "w5",
        queues: o.queues,
        n: share,
        messageSize: o.messageSize,
        inFlight: 64,
        batch: o.batch,
        clientTag: (process.pid << 8) + 0x80 + i,
      }));
      return fanOut({
        module: jobs,
        job: "remotingPublish",
        params,
        total: n,
        stopAtTotal: false,
        window,
        timeoutMs: 1_800_000,
      });
    };
    const t0 = performance.now();
    const probe = await publish(o.batch * o.publishProcesses);
    const recordSize = await lastRecordEnd(addr, 0).then((r) => r.size);
    const rest = Math.max(0, Math.ceil(o.commitLogBytes / recordSize) - probe.count);
    const bulk = await publish(rest);
    const writeMs = performance.now() - t0;
    const acked = probe.count + bulk.count;
    const before = await maxOffsets();
    if (!before) throw new Error("GET_MAX_OFFSET failed before the kill");
    let commitLogBytes = 0;
    for (let q = 0; q < o.queues; q++) {
      if (before[q]! > 0)
        commitLogBytes = Math.max(commitLogBytes, (await lastRecordEnd(addr, q, before[q]! - 1)).end);
    }

    process.kill(first.pid, "SIGKILL");
    await waitUntil("the killed broker gone", async () => (isRunning(first.pid) ? undefined : true), {
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    await first.stop();

    const second = spawn();
    let after: number[] = [];
    await serving(second, async () => {
      const offsets = await maxOffsets();
      if (!offsets) return false;
      after = offsets;
      return true;
    });
    const recoveryMs = performance.now() - second.startedAt;
    const recovered = after.reduce((a, b) => a + b, 0);
    return {
      commitLogBytes,
      messages: acked,
      writeMs,
      recoveryMs,
      lostMessages: Math.max(0, acked - recovered),
    };
  } finally {
    for (const p of started.reverse()) await p.stop();
    removeDir(dir);
  }
}

/** The size of the record at `offset` of queue `queueId` and where it ends in the CommitLog. */
async function lastRecordEnd(
  addr: string,
  queueId: number,
  offset = 0,
): Promise<{ size: number; end: number }> {
  const r = await remotingCall(
    addr,
    RequestCode.PULL_MESSAGE,
    pullHeader({ topic: "w5", queueId, queueOffset: offset, maxMsgNums: 1, suspendMs: 0 }),
  );
  if (r.code !== 0 || !r.body)
    throw new Error(`PULL_MESSAGE w5/${queueId}@${offset}: code ${r.code} ${r.remark ?? ""}`);
  const m = decodeMessageRecord(r.body, 0);
  return { size: m.storeSize, end: m.commitLogOffset + m.storeSize };
}
