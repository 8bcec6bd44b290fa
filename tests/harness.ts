import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Subprocess, spawn } from "bun";
import { type Broker, type BrokerConfig, type BrokerOptions, createBroker } from "../broker/index.ts";
import { createLogger } from "../config/index.ts";
import { createNameServer, type NameServer } from "../nameserver/index.ts";
import { createRequest, type RemotingClient } from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";

/*
 * Starting roles in tests: in-process instances on free ports (listen on 0, read the port back) with their own
 * temp dirs, or child processes of `bun run <role>`. Everything started here is stopped by close() / kill(pid)
 * and its directory removed; nothing is found by name.
 */

/** Quiet unless BUNMQ_LOG_LEVEL asks for more. */
export const testLogger = createLogger("test", { level: process.env.BUNMQ_LOG_LEVEL ?? "error" });

export function tempDir(prefix = "bunmq-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(intervalMs);
  }
}

export interface RunningNameServer {
  nameServer: NameServer;
  addr: string;
  close(): Promise<void>;
}

export async function startNameServer(): Promise<RunningNameServer> {
  const nameServer = createNameServer({ host: "127.0.0.1", listenPort: 0 });
  const port = await nameServer.start();
  return { nameServer, addr: `127.0.0.1:${port}`, close: () => nameServer.close() };
}

/** Small files so tests do not preallocate 1 GiB segments. */
export const smallStoreConfig: Partial<BrokerConfig> = Object.freeze({
  mappedFileSizeCommitLog: 16 * 1024 * 1024,
  mappedFileSizeConsumeQueue: 100_000 * 20,
});

export interface RunningBroker {
  broker: Broker;
  dir: string;
  addr: string;
  /** Closes the broker; the directory stays (a restart test reopens it). */
  close(): Promise<void>;
}

export interface StartBrokerOptions {
  namesrvAddr?: string;
  dir?: string;
  config?: Partial<BrokerConfig>;
  options?: Partial<Omit<BrokerOptions, "config">>;
}

/** A broker on a free port with its store under `dir` (a new temp dir by default). */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<RunningBroker> {
  const dir = opts.dir ?? tempDir("bunmq-broker-");
  const broker = createBroker({
    config: {
      ...smallStoreConfig,
      brokerIP1: "127.0.0.1",
      bindAddress: "127.0.0.1",
      listenPort: 0,
      storePathRootDir: dir,
      namesrvAddr: opts.namesrvAddr ?? "",
      ...opts.config,
    },
    logger: testLogger,
    ...opts.options,
  });
  await broker.start();
  return { broker, dir, addr: broker.brokerAddr, close: () => broker.close() };
}

/**
 * Closes `running` and starts a broker again on its store and port (so clients and a nameserver find it at the
 * same address); `opts` are those of the first start, without `dir`.
 */
export async function reopenBroker(
  running: RunningBroker,
  opts: Omit<StartBrokerOptions, "dir"> = {},
): Promise<RunningBroker> {
  const listenPort = running.broker.port;
  await running.close();
  return startBroker({ ...opts, dir: running.dir, config: { ...opts.config, listenPort } });
}

/** Closes a broker and its nameserver and removes the broker's store. */
export async function closeBrokerAndNameServer(broker: RunningBroker, ns: RunningNameServer): Promise<void> {
  await broker.close();
  await ns.close();
  removeDir(broker.dir);
}

export interface ChildRole {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Lines printed so far on stdout. */
  lines: string[];
  /** Resolves with the first stdout line matching `re`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number>;
}

/** Runs `bun run bin/<role>.ts ...args` as a child process (killed by pid). */
export function spawnRole(role: string, args: string[], env: Record<string, string> = {}): ChildRole {
  const proc = spawn([process.execPath, "run", join(import.meta.dir, "..", "bin", `${role}.ts`), ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, BUNMQ_LOG_LEVEL: "warn", ...env },
  });
  const lines: string[] = [];
  readLines(proc.stdout, (line) => lines.push(line));
  return {
    proc,
    lines,
    waitForLine: (re, timeoutMs = 15_000) =>
      waitFor(`a line matching ${re} from ${role}`, () => lines.find((l) => re.test(l)), timeoutMs),
    async stop() {
      proc.kill("SIGTERM");
      return proc.exited;
    },
  };
}

/** One JSON line printed by tests/fixtures/ali-ons-client.cjs. */
// biome-ignore lint/suspicious/noExplicitAny: the fixture prints free-form JSON events
export type ClientEvent = { event: string } & Record<string, any>;

export interface AliOnsClient {
  events: ClientEvent[];
  of(event: string): ClientEvent[];
  /** SIGTERM: a consumer closes (committing its offsets) and prints "closed". Resolves with the exit code. */
  stop(): Promise<number>;
  exited: Promise<number>;
}

/**
 * Runs the real ali-ons 3.12 client under Node 20 as a child process (fresh module state per process, as in
 * production). `opts` is passed to the fixture as JSON: see tests/fixtures/ali-ons-client.cjs.
 */
export function spawnAliOns(opts: Record<string, unknown>): AliOnsClient {
  return spawnNodeFixture(join(import.meta.dir, "fixtures", "ali-ons-client.cjs"), opts);
}

/** Runs `node <script> '<opts as JSON>'` and collects the JSON lines it prints (others as "raw" events). */
export function spawnNodeFixture(script: string, opts: Record<string, unknown>): AliOnsClient {
  const proc = spawn(["node", script, JSON.stringify(opts)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const events: ClientEvent[] = [];
  readLines(proc.stdout, (line) => {
    try {
      events.push(JSON.parse(line));
    } catch {
      events.push({ event: "raw", line });
    }
  });
  return {
    events,
    of: (event) => events.filter((e) => e.event === event),
    exited: proc.exited,
    async stop() {
      proc.kill("SIGTERM");
      return proc.exited;
    },
  };
}

/** Calls `onLine` with each complete line of `stream` as it arrives (in the background). */
function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): void {
  void (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      rest += decoder.decode(chunk, { stream: true });
      for (let nl = rest.indexOf("\n"); nl >= 0; nl = rest.indexOf("\n")) {
        onLine(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    }
  })();
}

/**
 * Creates a topic the way `mqadmin updateTopic` does (UPDATE_AND_CREATE_TOPIC to the broker) and, with a
 * nameserver, waits until the route is there (the broker registers it at once).
 */
export async function createTopicOverRemoting(
  client: RemotingClient,
  brokerAddr: string,
  topic: string,
  queueNums: number,
  namesrvAddr?: string,
): Promise<void> {
  const r = await client.invoke(
    brokerAddr,
    createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic,
      readQueueNums: queueNums,
      writeQueueNums: queueNums,
      perm: 6,
      topicFilterType: "SINGLE_TAG",
    }),
  );
  if (r.code !== ResponseCode.SUCCESS) throw new Error(`create topic ${topic}: ${r.code} ${r.remark}`);
  if (namesrvAddr) await waitForRoute(client, namesrvAddr, topic);
}

export async function waitForRoute(
  client: RemotingClient,
  namesrvAddr: string,
  topic: string,
  brokerAddr?: string,
) {
  await waitFor(`route of ${topic}${brokerAddr ? ` via ${brokerAddr}` : ""}`, async () => {
    const r = await client.invoke(namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }));
    if (r.code !== ResponseCode.SUCCESS) return false;
    return brokerAddr === undefined || new TextDecoder().decode(r.body).includes(brokerAddr);
  });
}
