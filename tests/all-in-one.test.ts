import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "bun";
import { type MessageView, Producer, SimpleConsumer } from "rocketmq-client-nodejs";
import { type ChildRole, removeDir, spawnRole, tempDir, waitFor } from "./harness.ts";
import { sdkLogger } from "./proxy-harness.ts";

/*
 * `npm start` (bin/start.ts) as a child process: nameserver, broker and Local-mode proxy in one Bun process on
 * free ports with its own BUNMQ_HOME. A topic made with the admin CLI, the official SDK through the printed
 * gRPC endpoint, a clean SIGINT, and a restart on the same data that finds messages and offsets as they were.
 */

const TOPIC = "all-in-one";
const home = tempDir("bunmq-start-");
const clients: { shutdown(): Promise<void> }[] = [];
let running: ChildRole | undefined;

afterAll(async () => {
  for (const c of clients) await c.shutdown().catch(() => undefined);
  if (running) await running.stop();
  removeDir(home);
});

interface Endpoints {
  namesrv: string;
  broker: string;
  grpc: string;
  http: string;
}

/** Starts `bun run bin/start.ts` on free ports and reads the endpoints it prints once serving. */
async function start(): Promise<Endpoints> {
  if (running) await interrupt();
  running = spawnRole(
    "start",
    ["--namesrvPort", "0", "--brokerPort", "0", "--grpcServerPort", "0", "--httpServerPort", "0"],
    { BUNMQ_HOME: home },
  );
  await running.waitForLine(/^Ctrl-C to stop\./, 20_000);
  const line = (re: RegExp) => {
    const hit = running!.lines.map((l) => re.exec(l)).find((m) => m);
    if (!hit) throw new Error(`no line matching ${re} in ${running!.lines.join("\n")}`);
    return hit[1];
  };
  return {
    namesrv: `127.0.0.1:${line(/^nameserver +\S+:(\d+) /)}`,
    broker: `127.0.0.1:${line(/^broker +\S+ on \S+:(\d+) /)}`,
    grpc: line(/^proxy gRPC +(127\.0\.0\.1:\d+) /),
    http: line(/^proxy HTTP +(http:\/\/127\.0\.0\.1:\d+) /),
  };
}

/** SIGINT, as Ctrl-C sends; resolves with the exit code. */
async function interrupt(): Promise<number> {
  const r = running!;
  running = undefined;
  r.proc.kill("SIGINT");
  return r.proc.exited;
}

async function admin(args: string[]): Promise<{ code: number; out: string }> {
  const proc = spawn([process.execPath, "run", join(import.meta.dir, "..", "bin", "admin.ts"), ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out: out + err };
}

async function producer(endpoint: string) {
  const p = new Producer({ endpoints: endpoint, namespace: "", topics: [TOPIC], logger: sdkLogger });
  await p.startup();
  clients.push(p);
  return p;
}

async function consumer(endpoint: string, group: string) {
  const c = new SimpleConsumer({
    endpoints: endpoint,
    namespace: "",
    consumerGroup: group,
    subscriptions: new Map([[TOPIC, "*"]]),
    // The default server's shortest long poll is 5 s; the SDK's deadline must leave room for it.
    awaitDuration: 5000,
    logger: sdkLogger,
  });
  await c.startup();
  clients.push(c);
  return c;
}

async function shutdownClients() {
  for (const c of clients.splice(0)) await c.shutdown();
}

async function receiveN(c: SimpleConsumer, n: number): Promise<MessageView[]> {
  const got: MessageView[] = [];
  await waitFor(
    `${n} messages`,
    async () => {
      got.push(...(await c.receive(16, 10_000)));
      return got.length >= n;
    },
    15_000,
    0,
  );
  return got;
}

describe("npm start (bin/start.ts)", () => {
  const bodies = ["first", "second", "third"];

  test("serves the SDK on the printed endpoint and stops cleanly on SIGINT", async () => {
    const ep = await start();
    const created = await admin([
      "updateTopic",
      "-n",
      ep.namesrv,
      "-b",
      ep.broker,
      "-t",
      TOPIC,
      "-r",
      "4",
      "-w",
      "4",
    ]);
    expect(created.code).toBe(0);

    const p = await producer(ep.grpc);
    const sent = [];
    for (const body of bodies) sent.push(await p.send({ topic: TOPIC, tag: "t", body: Buffer.from(body) }));
    const c = await consumer(ep.grpc, "aio-g1");
    const got = await receiveN(c, 3);
    expect(got.map((m) => m.body.toString()).sort()).toEqual([...bodies].sort());
    expect(got.map((m) => m.messageId).sort()).toEqual(sent.map((s) => s.messageId).sort());
    for (const m of got) await c.ack(m);
    await shutdownClients();

    expect(await interrupt()).toBe(0);
    // The store's "abort" file exists only while a broker runs: gone means a clean shutdown.
    expect(existsSync(join(home, "store"))).toBe(true);
    expect(existsSync(join(home, "store", "abort"))).toBe(false);
  }, 60_000);

  test("a restart on the same BUNMQ_HOME keeps the messages and the group's progress", async () => {
    const ep = await start();
    expect(existsSync(join(home, "store", "abort"))).toBe(true);
    // A new group (from the first offset) reads all three...
    const fresh = await consumer(ep.grpc, "aio-g2");
    const again = await receiveN(fresh, 3);
    expect(again.map((m) => m.body.toString()).sort()).toEqual([...bodies].sort());
    for (const m of again) await fresh.ack(m);
    // ...while the group that acked them before the restart gets only what is sent after it.
    const acked = await consumer(ep.grpc, "aio-g1");
    const p = await producer(ep.grpc);
    const after = await p.send({ topic: TOPIC, body: Buffer.from("after restart") });
    const got = await receiveN(acked, 1);
    expect(got.map((m) => m.messageId)).toEqual([after.messageId]);
    await acked.ack(got[0]);
    await shutdownClients();
    expect(await interrupt()).toBe(0);
    expect(existsSync(join(home, "store", "abort"))).toBe(false);
  }, 60_000);
});
