import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { type RedisServerHandle, startRedisServer } from "../tests/redis.ts";
import { brokerSet, runLeaseStoreCases } from "./lease-store.cases.ts";
import { createRedisLeaseStore } from "./redis.ts";

let redis: RedisServerHandle;
let stores = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.close();
});

runLeaseStoreCases("redis", {
  async newStore() {
    // a fresh key prefix per store: one redis-server serves every case without leftovers
    const store = createRedisLeaseStore({ redisAddr: redis.addr, keyPrefix: `test${++stores}:` });
    await store.connect();
    return { store, close: () => store.close() };
  },
});

describe("redis lease store", () => {
  test("stores live under the key prefix, so two prefixes never see each other", async () => {
    const a = createRedisLeaseStore({ redisAddr: redis.addr, keyPrefix: "tenant-a:" });
    const b = createRedisLeaseStore({ redisAddr: `redis://${redis.addr}/0`, keyPrefix: "tenant-b:" });
    try {
      await Promise.all([a.connect(), b.connect()]);
      expect(await a.putBrokerSet("broker-a", 0, brokerSet("broker-a"))).toBe(true);
      expect(await b.getBrokerSet("broker-a")).toBeUndefined();
      expect(await redis.command("EXISTS tenant-a:broker-set:broker-a")).toBe(":1");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("connecting to a Redis that is not there fails with a message naming it", async () => {
    const store = createRedisLeaseStore({ redisAddr: "127.0.0.1:1", connectTimeoutMs: 500 });
    try {
      const err = await store.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MqError);
      expect((err as MqError).code).toBe(ResponseCode.SYSTEM_ERROR);
      expect((err as MqError).message).toContain("redis 127.0.0.1:1");
    } finally {
      await store.close();
    }
  });

  test("a malformed redisAddr is refused before connecting", () => {
    expect(() => createRedisLeaseStore({ redisAddr: "no-port" })).toThrow(/host:port or a redis:\/\/ URL/);
  });

  test("state written by someone else that is not ours reads as a clear error", async () => {
    const store = createRedisLeaseStore({ redisAddr: redis.addr, keyPrefix: "corrupt:" });
    try {
      await store.connect();
      await redis.command('HSET corrupt:broker-set:broker-a version 3 state "{not json"');
      await expect(store.getBrokerSet("broker-a")).rejects.toThrow(/broker set "broker-a" is unreadable/);
    } finally {
      await store.close();
    }
  });

  test("fails fast while Redis is down and works again once it is back", async () => {
    const own = await startRedisServer();
    const store = createRedisLeaseStore({ redisAddr: own.addr });
    try {
      await store.connect();
      await store.putBrokerSet("broker-a", 0, brokerSet("broker-a"));
      expect(await own.command("SAVE")).toBe("+OK");
      await own.stop();
      const err = await store.getBrokerSet("broker-a").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as MqError).code).toBe(ResponseCode.SYSTEM_ERROR);
      expect((err as MqError).message).toContain(`controller state store redis ${own.addr} is unavailable`);
      await own.start();
      const deadline = Date.now() + 5000;
      let back: Awaited<ReturnType<typeof store.getBrokerSet>>;
      for (;;) {
        try {
          back = await store.getBrokerSet("broker-a");
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await Bun.sleep(20);
        }
      }
      expect(back?.value).toEqual(brokerSet("broker-a"));
    } finally {
      await store.close();
      await own.close();
    }
  });
});
