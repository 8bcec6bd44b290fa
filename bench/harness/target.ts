/**
 * The one interface every benchmarked broker implements: the peers in bench/peers/ and the bunmq
 * paths in bench/targets/. The suite (suite.ts) drives targets one at a time, never two at once.
 */

/**
 * "machine crash": the ack waits for fsync/fdatasync (power loss keeps it).
 * "process crash": the ack waits for write(2) to the page cache only.
 */
export type AckSurvives = "process crash" | "machine crash";

/** What a target's start() reports. */
export interface StartInfo {
  /** From spawning the server until it first answered a real protocol request. */
  startupMs: number;
}

/**
 * Marks the measured window inside a workload call, so that set-up (spawning generator processes,
 * connecting, declaring queues) is not billed to the server. fanOut() calls begin() right before
 * "go" and end() when the last message is in. A target that never calls them is measured over the
 * whole call.
 */
export interface WorkloadWindow {
  begin(): void;
  end(): void;
}

export interface WorkloadContext {
  /** Payload bytes per message (1024 unless a run says otherwise). */
  messageSize: number;
  window: WorkloadWindow;
  /** Generator processes to use when the target supports several (0 = the target's choice). */
  processes: number;
}

/** What the client side of one workload did. */
export interface ClientRun {
  /** Messages published (W1), consumed (W2) or received (W3). */
  count: number;
  /** From "go" to the last ack (W1) or the last message received (W2). */
  elapsedMs: number;
  /** CPU time (user + system) of every client process during the run. */
  clientCpuMs: number;
  clientProcesses: number;
}

export interface LatencyRun extends ClientRun {
  sent: number;
  /** End-to-end latency of each received message, ms: from handing it to the client to its arrival. */
  latenciesMs: number[];
  /** For each sent message, how late the producer handed it to the client library vs its schedule. */
  sendLagMs: number[];
}

/**
 * A broker under test. start() spawns the server (as its own processes: CPU and RSS are read from
 * /proc for serverPids() and all their descendants), waits until it serves, and creates nothing
 * else. publish() stores n durable messages, consume() reads those same n back, latencyRun() runs a
 * fixed-rate producer and a consumer at once. stop() stops every process it started, by pid, and
 * removes its data.
 */
export interface Target {
  /** Short id used in tables and JSON keys, e.g. "redis-aof-always". */
  readonly name: string;
  /** Product and version, e.g. "Redis 7.0.15 (Streams)". */
  readonly system: string;
  /** What an ack means here, in a sentence or two. */
  readonly durability: string;
  /** The worst failure an acked message survives: compare like with like. */
  readonly ackSurvives: AckSurvives;
  /** The client library and how the generators use it, e.g. "amqplib, confirm channel, 500 in flight". */
  readonly client: string;
  start(): Promise<StartInfo>;
  /** Root pids of the running server; empty before start(). */
  serverPids(): number[];
  publish(n: number, ctx: WorkloadContext): Promise<ClientRun>;
  consume(n: number, ctx: WorkloadContext): Promise<ClientRun>;
  latencyRun(rate: number, seconds: number, ctx: WorkloadContext): Promise<LatencyRun>;
  stop(): Promise<void>;
}
