import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { encodeSyncStateSet } from "../controller/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { ControllerTestBroker } from "./controller-broker.ts";
import { type RedisServerHandle, startRedisServer } from "./redis.ts";

/** `bun run controller` as operators run it: separate processes sharing one Redis. */

const root = join(import.meta.dir, "..");
let redis: RedisServerHandle;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.close();
});

interface ControllerProcess {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  address: string;
}

async function spawnController(args: string[]): Promise<ControllerProcess> {
  const proc = Bun.spawn([process.execPath, "bin/controller.ts", ...args], {
    cwd: root,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 10_000;
  for (;;) {
    const match = /controller listening on 127\.0\.0\.1:(\d+)/.exec(text);
    if (match) {
      reader.releaseLock();
      return { proc, address: `127.0.0.1:${match[1]}` };
    }
    if (Date.now() > deadline) throw new Error(`controller did not start: ${text}`);
    const { value, done } = await reader.read();
    if (done)
      throw new Error(`controller exited (${await proc.exited}): ${await new Response(proc.stderr).text()}`);
    text += decoder.decode(value, { stream: true });
  }
}

test("two controller processes share one Redis, fail over once, and stop cleanly on SIGTERM", async () => {
  const args = [
    "--listenPort",
    "0",
    "--bindAddress",
    "127.0.0.1",
    "--redisAddr",
    redis.addr,
    "--scanNotActiveBrokerInterval",
    "100",
  ];
  const [p1, p2] = await Promise.all([spawnController(args), spawnController(args)]);
  const b1 = await ControllerTestBroker.start("broker-p");
  const b2 = await ControllerTestBroker.start("broker-p");
  try {
    await b1.register(p1.address);
    await b2.register(p2.address);
    expect([b1.brokerId, b2.brokerId]).toEqual([1, 2]);
    await b1.startHeartbeats([p1.address], 30, 300);
    await b2.startHeartbeats([p1.address, p2.address], 200, 60_000);
    expect((await b1.elect(p2.address)).extFields).toMatchObject({ masterBrokerId: "1", masterEpoch: "1" });
    const grown = await b1.invoke(
      p1.address,
      RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET,
      { brokerName: "broker-p", masterBrokerId: 1, masterEpoch: 1 },
      encodeSyncStateSet({ syncStateSet: [1, 2], syncStateSetEpoch: 1 }),
    );
    expect(grown.code).toBe(ResponseCode.SUCCESS);

    b1.stopHeartbeats();
    const deadline = Date.now() + 5000;
    const info = { p1: {} as Record<string, string>, p2: {} as Record<string, string> };
    while (info.p1.masterEpoch !== "2" || info.p2.masterEpoch !== "2") {
      if (Date.now() > deadline) throw new Error(`no failover seen: ${JSON.stringify(info)}`);
      await Bun.sleep(20);
      for (const [key, p] of [
        ["p1", p1],
        ["p2", p2],
      ] as const) {
        const r = await b2.invoke(p.address, RequestCode.CONTROLLER_GET_REPLICA_INFO, {
          brokerName: "broker-p",
        });
        info[key] = { ...r.extFields };
      }
    }
    expect(info.p1).toEqual(info.p2);
    expect(info.p1).toMatchObject({ masterBrokerId: "2", masterAddress: b2.address });
    const pushed = b2.notifications.filter((n) => n.extFields.masterEpoch === "2");
    expect(pushed.length).toBeGreaterThan(0);
    expect(pushed.every((n) => n.extFields.masterBrokerId === "2")).toBe(true);
  } finally {
    await b1.close();
    await b2.close();
    p1.proc.kill("SIGTERM");
    p2.proc.kill("SIGTERM");
  }
  expect(await p1.proc.exited).toBe(0);
  expect(await p2.proc.exited).toBe(0);
});

test("a controller that cannot reach Redis refuses to start and says which Redis", async () => {
  const proc = Bun.spawn(
    [process.execPath, "bin/controller.ts", "--listenPort", "0", "--redisAddr", "127.0.0.1:1"],
    { cwd: root, stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
  expect(await proc.exited).toBe(1);
  expect(await new Response(proc.stderr).text()).toContain(
    "controller: failed to start: controller state store redis 127.0.0.1:1 is unavailable",
  );
});
