/**
 * The storage engine's own append rate (broker/store in this process, no network), the baseline for "how much of
 * the engine's speed survives the remoting layer": the same 1 KiB messages with the same properties, the same
 * number of appends in flight and the same flushDiskType as the remoting run, on the same disk.
 */
import { createMessageStore, type FlushDiskType } from "../../broker/store/index.ts";
import { makePayload, makeTempDir, removeDir } from "../harness/index.ts";

export interface EngineAppendOptions {
  flushDiskType: FlushDiskType;
  messages: number;
  messageSize: number;
  /** Messages per putMessages call (1 = putMessage). */
  batch: number;
  /** Calls awaiting their result at once. */
  inFlight: number;
  queues: number;
}

export const defaultEngineAppendOptions: Readonly<EngineAppendOptions> = Object.freeze({
  flushDiskType: "ASYNC_FLUSH",
  messages: 200_000,
  messageSize: 1024,
  batch: 1,
  inFlight: 1024,
  queues: 8,
});

export interface EngineAppendFigures {
  msgsPerSec: number;
  /** CPU of this process (the engine plus the loop feeding it) per message. */
  cpuUsPerMsg: number;
}

export async function measureEngineAppend(
  options: Partial<EngineAppendOptions> = {},
): Promise<EngineAppendFigures> {
  const o = { ...defaultEngineAppendOptions, ...options };
  const dir = makeTempDir("engine");
  const store = await createMessageStore({ storePathRootDir: dir, flushDiskType: o.flushDiskType });
  try {
    const body = makePayload(o.messageSize);
    let uniq = 0;
    // The properties a remoting producer sends (client-made UNIQ_KEY, WAIT=true).
    const message = (queueId: number) => ({
      topic: "engine",
      queueId,
      body,
      properties: { UNIQ_KEY: (uniq++).toString(16).toUpperCase().padStart(32, "0"), WAIT: "true" },
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let issued = 0;
    let done = 0;
    let call = 0;
    await new Promise<void>((resolve, reject) => {
      const pump = () => {
        while (issued < o.messages && (issued - done) / o.batch < o.inFlight) {
          const k = Math.min(o.batch, o.messages - issued);
          const queueId = call++ % o.queues;
          issued += k;
          const put =
            k === 1
              ? store.putMessage(message(queueId))
              : store.putMessages(Array.from({ length: k }, () => message(queueId)));
          put.then(() => {
            done += k;
            if (done === o.messages) resolve();
            else pump();
          }, reject);
        }
      };
      pump();
    });
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { msgsPerSec: (o.messages * 1000) / ms, cpuUsPerMsg: (cpu.user + cpu.system) / o.messages };
  } finally {
    await store.close();
    removeDir(dir);
  }
}
