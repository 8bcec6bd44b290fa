import Redis, { type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { BrokerLiveInfo, BrokerSetState, LeaseStore, ReplicaRecord, Versioned } from "./lease-store.ts";

/*
 * The only file that talks to Redis. Keys (prefix `bunmq:controller:` by default, see README.md):
 *   <p>broker-set:<brokerName>        HASH  version, state (BrokerSetState as JSON)
 *   <p>broker-sets                    SET   brokerNames
 *   <p>version                        STRING counter: every write takes the next value, so versions never repeat
 *   <p>lease:<brokerName>:<brokerId>  HASH  BrokerLiveInfo fields, PEXPIRE = heartbeatTimeoutMillis
 * Every write is one Lua script, so it is atomic against every other controller sharing the Redis.
 */

const CAS_BROKER_SET = `
local current = redis.call('HGET', KEYS[1], 'version')
if (current or '0') ~= ARGV[1] then return 0 end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
  return 1
end
local version = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], 'version', version, 'state', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`;

const RENEW_LEASE = `
local prevEpoch = tonumber(redis.call('HGET', KEYS[1], 'epoch'))
local prevOffset = tonumber(redis.call('HGET', KEYS[1], 'maxOffset'))
local epoch = tonumber(ARGV[3])
local offset = tonumber(ARGV[4])
if prevEpoch == nil or prevOffset == nil or epoch > prevEpoch or (epoch == prevEpoch and offset > prevOffset) then
  redis.call('HSET', KEYS[1], 'epoch', ARGV[3], 'maxOffset', ARGV[4], 'confirmOffset', ARGV[5])
end
redis.call('HSET', KEYS[1], 'clusterName', ARGV[1], 'brokerAddr', ARGV[2], 'electionPriority', ARGV[6],
  'heartbeatTimeoutMillis', ARGV[7], 'lastUpdateTimestamp', ARGV[8])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 1
`;

export interface RedisLeaseStoreOptions {
  /** "host:port", or a redis:// / rediss:// URL (password, db) */
  redisAddr: string;
  /** namespace for every key, so several clusters can share one Redis */
  keyPrefix: string;
  /** a command that gets no answer in this time fails (a hung Redis must not hang the controller) */
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  logger?: Pick<Logger, "info" | "warn">;
}

export const defaultRedisLeaseStoreOptions: Readonly<RedisLeaseStoreOptions> = Object.freeze({
  redisAddr: "127.0.0.1:6379",
  keyPrefix: "bunmq:controller:",
  commandTimeoutMs: 3000,
  connectTimeoutMs: 3000,
});

/** "redis://:secret@host:6379/2" -> "host:6379/2" for messages; passwords never reach a log line. */
function describeAddr(addr: string): string {
  const match = /^rediss?:\/\/(?:[^@/]*@)?(.*)$/.exec(addr);
  return match ? match[1] : addr;
}

function connectionOptions(options: RedisLeaseStoreOptions): { url?: string; options: RedisOptions } {
  const base: RedisOptions = {
    lazyConnect: true,
    // Fail at once while disconnected instead of queueing: a broker gets a clear error and retries itself.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  };
  if (/^rediss?:\/\//.test(options.redisAddr)) return { url: options.redisAddr, options: base };
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(options.redisAddr);
  if (!match) {
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `redisAddr must be host:port or a redis:// URL, got "${options.redisAddr}"`,
    );
  }
  return { options: { ...base, host: match[1], port: Number(match[2]) } };
}

function isSafeInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}

/** Checks a record read back from Redis; anything else there is someone else's data or corruption. */
function parseBrokerSetState(brokerName: string, json: string): BrokerSetState {
  const bad = (why: string) =>
    new MqError(
      ResponseCode.SYSTEM_ERROR,
      `stored state of broker set "${brokerName}" is unreadable: ${why}`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw bad(err instanceof Error ? err.message : String(err));
  }
  const s = raw as Record<string, unknown>;
  if (typeof s !== "object" || s === null) throw bad("not an object");
  if (typeof s.clusterName !== "string" || s.brokerName !== brokerName) throw bad("names do not match");
  if (s.masterBrokerId !== null && !isSafeInt(s.masterBrokerId)) throw bad("masterBrokerId");
  for (const key of ["masterEpoch", "syncStateSetEpoch", "nextAssignBrokerId"] as const) {
    if (!isSafeInt(s[key])) throw bad(key);
  }
  if (!Array.isArray(s.syncStateSet) || !s.syncStateSet.every(isSafeInt)) throw bad("syncStateSet");
  if (!Array.isArray(s.replicas)) throw bad("replicas");
  for (const r of s.replicas as ReplicaRecord[]) {
    if (
      !isSafeInt(r?.brokerId) ||
      typeof r.brokerAddress !== "string" ||
      typeof r.registerCheckCode !== "string"
    )
      throw bad("replicas entry");
  }
  return s as unknown as BrokerSetState;
}

/**
 * LeaseStore over Redis: controllers sharing one Redis share one state. Owns its connection; `close()` it.
 * While Redis is unreachable every call fails fast with MqError(SYSTEM_ERROR) naming the Redis; the connection
 * keeps retrying in the background and calls succeed again once Redis is back.
 */
export class RedisLeaseStore implements LeaseStore {
  readonly description: string;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly logger?: Pick<Logger, "info" | "warn">;
  private outageLogged = false;
  /** what the connection last failed with: "Connection is closed." alone would not tell an operator why */
  private lastConnectionError?: string;

  constructor(options: Partial<RedisLeaseStoreOptions> = {}) {
    const o = { ...defaultRedisLeaseStoreOptions, ...options };
    this.description = `redis ${describeAddr(o.redisAddr)}`;
    this.prefix = o.keyPrefix;
    this.logger = o.logger;
    const { url, options: redisOptions } = connectionOptions(o);
    this.redis = url ? new Redis(url, redisOptions) : new Redis(redisOptions);
    // ioredis emits an error per failed reconnect; log the first of each outage only.
    this.redis.on("error", (err: Error) => {
      this.lastConnectionError = err.message;
      if (this.outageLogged) return;
      this.outageLogged = true;
      this.logger?.warn({ err: err.message }, `${this.description} unavailable, reconnecting`);
    });
    this.redis.on("ready", () => {
      this.lastConnectionError = undefined;
      if (this.outageLogged) this.logger?.info(`${this.description} reachable again`);
      this.outageLogged = false;
    });
  }

  /** Connects; throws MqError(SYSTEM_ERROR) naming the Redis when it cannot be reached. */
  async connect(): Promise<void> {
    if (this.redis.status === "ready") return;
    try {
      await this.redis.connect();
    } catch (err) {
      throw this.failure(err, "connect");
    }
  }

  async close(): Promise<void> {
    if (this.redis.status === "ready") {
      try {
        await this.redis.quit();
        return;
      } catch {
        // fall through to a hard disconnect
      }
    }
    this.redis.disconnect();
  }

  async ping(): Promise<void> {
    await this.run("PING", () => this.redis.ping());
  }

  async getBrokerSet(brokerName: string): Promise<Versioned<BrokerSetState> | undefined> {
    const [version, state] = await this.run("HMGET", () =>
      this.redis.hmget(this.brokerSetKey(brokerName), "version", "state"),
    );
    if (version === null || state === null) return undefined;
    return { value: parseBrokerSetState(brokerName, state), version: Number(version) };
  }

  async putBrokerSet(
    brokerName: string,
    expectedVersion: number,
    next: BrokerSetState | null,
  ): Promise<boolean> {
    const reply = await this.run("EVAL", () =>
      this.redis.eval(
        CAS_BROKER_SET,
        3,
        this.brokerSetKey(brokerName),
        `${this.prefix}broker-sets`,
        `${this.prefix}version`,
        String(expectedVersion),
        brokerName,
        next === null ? "" : JSON.stringify(next),
      ),
    );
    return reply === 1;
  }

  async listBrokerSets(): Promise<string[]> {
    const names = await this.run("SMEMBERS", () => this.redis.smembers(`${this.prefix}broker-sets`));
    return names.sort();
  }

  async renewBrokerLease(info: BrokerLiveInfo): Promise<void> {
    await this.run("EVAL", () =>
      this.redis.eval(
        RENEW_LEASE,
        1,
        this.leaseKey(info.brokerName, info.brokerId),
        info.clusterName,
        info.brokerAddr,
        String(info.epoch),
        String(info.maxOffset),
        String(info.confirmOffset),
        String(info.electionPriority),
        String(info.heartbeatTimeoutMillis),
        String(info.lastUpdateTimestamp),
      ),
    );
  }

  async liveBrokers(brokerName: string, brokerIds: readonly number[]): Promise<Map<number, BrokerLiveInfo>> {
    const live = new Map<number, BrokerLiveInfo>();
    if (brokerIds.length === 0) return live;
    const results = await this.run("HGETALL", () => {
      const pipeline = this.redis.pipeline();
      for (const brokerId of brokerIds) pipeline.hgetall(this.leaseKey(brokerName, brokerId));
      return pipeline.exec();
    });
    brokerIds.forEach((brokerId, i) => {
      const [err, fields] = results?.[i] ?? [null, null];
      if (err) throw this.failure(err, "HGETALL");
      const f = fields as Record<string, string> | null;
      if (!f || f.brokerAddr === undefined) return; // expired: Redis removed the key
      live.set(brokerId, {
        clusterName: f.clusterName,
        brokerName,
        brokerId,
        brokerAddr: f.brokerAddr,
        epoch: Number(f.epoch),
        maxOffset: Number(f.maxOffset),
        confirmOffset: Number(f.confirmOffset),
        electionPriority: Number(f.electionPriority),
        heartbeatTimeoutMillis: Number(f.heartbeatTimeoutMillis),
        lastUpdateTimestamp: Number(f.lastUpdateTimestamp),
      });
    });
    return live;
  }

  private brokerSetKey(brokerName: string): string {
    return `${this.prefix}broker-set:${brokerName}`;
  }

  private leaseKey(brokerName: string, brokerId: number): string {
    return `${this.prefix}lease:${brokerName}:${brokerId}`;
  }

  private async run<T>(command: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw this.failure(err, command);
    }
  }

  private failure(err: unknown, command: string): MqError {
    if (err instanceof MqError) return err;
    let detail = err instanceof Error ? err.message : String(err);
    if (this.lastConnectionError && this.lastConnectionError !== detail) {
      detail += ` (last connection error: ${this.lastConnectionError})`;
    }
    // A ReplyError is Redis answering "no" (script error, wrong type); anything else is the connection.
    const refused = err instanceof Error && err.name === "ReplyError";
    const message = refused
      ? `${this.description} refused ${command}: ${detail}`
      : `controller state store ${this.description} is unavailable (${this.redis.status}): ${detail}`;
    return new MqError(ResponseCode.SYSTEM_ERROR, message, { cause: err });
  }
}

/**
 * @example
 * const store = createRedisLeaseStore({ redisAddr: "127.0.0.1:6379" });
 * await store.connect();
 */
export function createRedisLeaseStore(options: Partial<RedisLeaseStoreOptions> = {}): RedisLeaseStore {
  return new RedisLeaseStore(options);
}
