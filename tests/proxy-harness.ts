import type { BrokerConfig, BrokerOptions } from "../broker/index.ts";
import {
  type Backend,
  createLocalBackend,
  createProxy,
  type ProxyConfig,
  type ProxyLimits,
  type ProxyServer,
} from "../proxy/index.ts";
import {
  type ChildRole,
  type RunningBroker,
  removeDir,
  spawnRole,
  startBroker,
  testLogger,
} from "./harness.ts";

/*
 * Local-mode stacks for the proxy's cross-role tests: one real broker (temp dir, free port) and one or more real
 * proxies over it, each on free gRPC and HTTP ports. Short limits keep redelivery and long polling test-sized.
 */

export interface LocalStack {
  broker: RunningBroker;
  backend: Backend;
  proxies: ProxyServer[];
  /** "127.0.0.1:<grpcPort>" of proxy i, what the SDK's `endpoints` option takes. */
  grpcEndpoint(i?: number): string;
  /** "http://127.0.0.1:<httpPort>" of proxy i, for Connect / gRPC-Web clients. */
  httpUrl(i?: number): string;
  createTopic(
    topic: string,
    messageType?: "NORMAL" | "FIFO" | "DELAY" | "TRANSACTION" | "MIXED",
  ): Promise<void>;
  createGroup(group: string, consumeMessageOrderly: boolean): Promise<void>;
  /** The broker and proxies share this clock: moving it on makes invisible times run out without waiting. */
  advance(ms: number): void;
  /** One pop revive pass now (the periodic one is off); resolves with how many messages came back. */
  revive(): Promise<number>;
  close(): Promise<void>;
}

export interface LocalStackOptions {
  proxies?: number;
  config?: Partial<ProxyConfig>;
  limits?: Partial<ProxyLimits>;
  brokerConfig?: Partial<BrokerConfig>;
  brokerOptions?: Partial<Omit<BrokerOptions, "config">>;
}

export const testProxyConfig: Partial<ProxyConfig> = Object.freeze({
  bindAddress: "127.0.0.1",
  advertisedAddress: "127.0.0.1",
  grpcServerPort: 0,
  httpServerPort: 0,
  minInvisibleTimeMillsForRecv: 1000,
});

// Short long polls: the Node PushConsumer waits for its in-flight receive on shutdown.
export const testProxyLimits: Partial<ProxyLimits> = Object.freeze({
  minLongPollingTimeoutMillis: 200,
  maxLongPollingTimeoutMillis: 2000,
});

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  let skew = 0;
  const clock = () => Date.now() + skew;
  const broker = await startBroker({
    config: opts.brokerConfig,
    options: { clock, reviveIntervalMs: 0, ...opts.brokerOptions },
  });
  const backend = createLocalBackend({ broker: broker.broker.api });
  const proxies: ProxyServer[] = [];
  try {
    for (let i = 0; i < (opts.proxies ?? 1); i++) {
      const proxy = createProxy({
        config: { ...testProxyConfig, ...opts.config },
        limits: { ...testProxyLimits, ...opts.limits },
        backend,
        logger: testLogger,
        now: clock,
      });
      await proxy.start();
      proxies.push(proxy);
    }
  } catch (err) {
    for (const p of proxies) await p.close();
    await broker.close();
    removeDir(broker.dir);
    throw err;
  }
  return {
    broker,
    backend,
    proxies,
    grpcEndpoint: (i = 0) => `127.0.0.1:${proxies[i].grpcPort}`,
    httpUrl: (i = 0) => `http://127.0.0.1:${proxies[i].httpPort}`,
    async createTopic(topic, messageType = "NORMAL") {
      await broker.broker.api.createTopic({ topic, readQueueNums: 4, writeQueueNums: 4, messageType });
    },
    async createGroup(groupName, consumeMessageOrderly) {
      await broker.broker.api.createSubscriptionGroup({ groupName, consumeMessageOrderly });
    },
    advance(ms) {
      skew += ms;
    },
    revive: () => broker.broker.revive(),
    async close() {
      for (const p of proxies) await p.close();
      await backend.close();
      await broker.close();
      removeDir(broker.dir);
    },
  };
}

/** The official SDK logs to ~/logs by default; tests give it a quiet logger that still shows errors when asked. */
export const sdkLogger = {
  info() {},
  warn() {},
  debug() {},
  error(...args: unknown[]) {
    if (process.env.BUNMQ_LOG_LEVEL === "debug") console.error("[sdk]", ...args);
  },
};

/** `bun run proxy --mode cluster` on free ports of 127.0.0.1 against the nameserver at `namesrvAddr`. */
export function spawnClusterProxy(namesrvAddr: string, extraArgs: string[] = []): ChildRole {
  return spawnRole("proxy", [
    "--mode",
    "cluster",
    "-n",
    namesrvAddr,
    "--bindAddress",
    "127.0.0.1",
    "--grpcServerPort",
    "0",
    "--httpServerPort",
    "0",
    ...extraArgs,
  ]);
}
