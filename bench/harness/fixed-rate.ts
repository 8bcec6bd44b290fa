/**
 * W3: a producer that sends at a fixed rate and a recorder that the target's consumer feeds.
 * The producer wakes every millisecond and sends every message that is due (a sub-ms sleep would
 * spin a core that the broker needs). Latency runs from the moment a message is handed to the
 * client library to its arrival at the consumer. Sends never wait for earlier acks, so a slow
 * broker cannot hold the producer back; how far the producer itself fell behind its schedule is
 * reported as the send lag, so a stalled client is visible rather than hidden.
 */
import { makePayload, readStamp, stampPayload, wallClockMs } from "./payload.ts";
import type { LatencyRun, WorkloadContext, WorkloadWindow } from "./target.ts";

export class LatencyRecorder {
  readonly latenciesMs: number[] = [];
  private readonly seen: Uint8Array;
  private waiter: (() => void) | undefined;

  constructor(readonly expected: number) {
    this.seen = new Uint8Array(expected);
  }

  get received(): number {
    return this.latenciesMs.length;
  }

  /** Call from the consumer for every message body; redeliveries and strangers are ignored. */
  receive(body: Uint8Array): void {
    const { seq, sentAtMs } = readStamp(body);
    this.receiveStamp(seq, sentAtMs);
  }

  /** The same, for a client that carries the stamp beside the body (e.g. as text fields). */
  receiveStamp(seq: number, sentAtMs: number): void {
    const at = wallClockMs();
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.expected || this.seen[seq] === 1) return;
    this.seen[seq] = 1;
    this.latenciesMs.push(at - sentAtMs);
    if (this.received === this.expected) this.waiter?.();
  }

  /** Resolves when every expected message arrived or after timeoutMs, whichever is first. */
  async whenComplete(timeoutMs: number): Promise<void> {
    if (this.received >= this.expected) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

export interface FixedRateOptions {
  rate: number;
  seconds: number;
  messageSize: number;
  /** Sends one message; the promise settles when the broker acked it. sentAtMs is also in the body. */
  send(body: Uint8Array, seq: number, sentAtMs: number): Promise<unknown>;
  recorder: LatencyRecorder;
  window: WorkloadWindow;
  /** How long to wait for stragglers after the last send. */
  drainMs: number;
}

export const defaultDrainMs = 10_000;

/** Runs the producer in this process; the consumer (also in this process) feeds options.recorder. */
export async function runFixedRate(o: FixedRateOptions): Promise<LatencyRun> {
  const total = Math.round(o.rate * o.seconds);
  if (o.recorder.expected !== total)
    throw new Error(`recorder expects ${o.recorder.expected}, run sends ${total}`);
  const intervalMs = 1000 / o.rate;
  const pending = new Set<Promise<unknown>>();
  const lagsMs: number[] = [];
  let sendError: unknown;
  let sent = 0;

  o.window.begin();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const start = wallClockMs() + 5;
  while (sent < total) {
    const now = wallClockMs();
    const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
    for (; sent < due; sent++) {
      // A fresh body each time: clients may hold on to the buffer until it is written.
      const at = wallClockMs();
      lagsMs.push(at - (start + sent * intervalMs));
      const body = stampPayload(makePayload(o.messageSize), sent, at);
      const p: Promise<unknown> = o.send(body, sent, at).then(
        () => pending.delete(p),
        (e: unknown) => {
          sendError ??= e;
          pending.delete(p);
        },
      );
      pending.add(p);
    }
    if (sendError) break;
    const nextAt = start + sent * intervalMs;
    await Bun.sleep(Math.max(1, nextAt - wallClockMs()));
  }
  await Promise.all(pending);
  if (sendError) throw sendError;
  await o.recorder.whenComplete(o.drainMs);
  const elapsedMs = performance.now() - t0;
  o.window.end();
  const cpu = process.cpuUsage(cpu0);
  return {
    count: o.recorder.received,
    sent,
    elapsedMs,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    clientProcesses: 1,
    latenciesMs: o.recorder.latenciesMs,
    sendLagMs: lagsMs,
  };
}

/** A target's W3: runFixedRate at the workload's message size, in its window, with the default drain. */
export function fixedRateWorkload(
  rate: number,
  seconds: number,
  ctx: WorkloadContext,
  recorder: LatencyRecorder,
  send: FixedRateOptions["send"],
): Promise<LatencyRun> {
  return runFixedRate({
    rate,
    seconds,
    messageSize: ctx.messageSize,
    recorder,
    window: ctx.window,
    drainMs: defaultDrainMs,
    send,
  });
}
