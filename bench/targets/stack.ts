/**
 * A bunmq deployment started for a benchmark: each role is its own `bun bin/<role>.ts` process (so its CPU and
 * RSS can be read from /proc apart from the generators'), bound to 127.0.0.1 on free ports, with its data in a
 * fresh temp dir. stop() ends only the processes it started, by pid, and removes the dir.
 */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { roleRuntimeEnv } from "../../config/index.ts";
import { freePorts, makeTempDir, removeDir, ServerProcess, waitUntil } from "../harness/index.ts";
import { grpcQueryRoute } from "./grpc-client.ts";
import { remotingCall } from "./remoting-admin.ts";

export type FlushDiskType = "ASYNC_FLUSH" | "SYNC_FLUSH";

/**
 * remoting: nameserver + broker. proxy-local: one `bin/proxy.ts --mode local` process with the broker inside.
 * proxy-cluster: nameserver + broker + `bin/proxy.ts --mode cluster`.
 */
export type StackLayout = "remoting" | "proxy-local" | "proxy-cluster";

export interface BunmqStackOptions {
  layout: StackLayout;
  flushDiskType: FlushDiskType;
  /** BUNMQ_LOG_LEVEL of the roles. */
  logLevel: string;
  startTimeoutMs: number;
  /** Extra flags for the Bun runtime of every role, e.g. ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] to profile. */
  runtimeFlags: string[];
}

export const defaultBunmqStackOptions: Readonly<BunmqStackOptions> = Object.freeze({
  layout: "remoting",
  flushDiskType: "ASYNC_FLUSH",
  logLevel: "warn",
  startTimeoutMs: 30_000,
  runtimeFlags: [],
});

const repoRoot = new URL("../../", import.meta.url).pathname;
export const binPath = (role: string) => join(repoRoot, "bin", `${role}.ts`);

export interface StackAddresses {
  /** "127.0.0.1:port" of the nameserver; "" in proxy-local. */
  namesrv: string;
  /** "127.0.0.1:port" of the broker's remoting port (also in proxy-local, where the broker is in the proxy). */
  broker: string;
  /** gRPC (h2c) port of the proxy; 0 without one. */
  grpcPort: number;
  /** Connect / gRPC-Web (HTTP/1.1) port of the proxy; 0 without one. */
  httpPort: number;
}

export class BunmqStack {
  readonly options: BunmqStackOptions;
  private readonly processes: ServerProcess[] = [];
  private dir = "";
  private addrs: StackAddresses = { namesrv: "", broker: "", grpcPort: 0, httpPort: 0 };

  constructor(options: Partial<BunmqStackOptions> = {}) {
    this.options = { ...defaultBunmqStackOptions, ...options };
  }

  get addresses(): StackAddresses {
    return this.addrs;
  }

  /** Root pids of every role process. */
  pids(): number[] {
    return this.processes.filter((p) => p.exited === null).map((p) => p.pid);
  }

  /**
   * Spawns the roles and resolves with the ms from the first spawn until every role serves. The nameserver goes
   * first: a broker registers at start and then only every registerNameServerPeriod (30 s), so a broker that beat a
   * slow-starting nameserver stayed unknown to it for 30 s (4 in 100 starts under load).
   */
  async start(): Promise<number> {
    const o = this.options;
    this.dir = makeTempDir(o.layout);
    const [nsPort, brokerPort, grpcPort, httpPort] = freePorts(4);
    const env = { ...roleRuntimeEnv, BUNMQ_HOME: this.dir, BUNMQ_LOG_LEVEL: o.logLevel };
    const spawn = (name: string, cmd: string[]) => {
      const p = new ServerProcess({
        cmd: [process.execPath, ...o.runtimeFlags, ...cmd],
        env,
        cwd: this.dir,
        logFile: join(this.dir, `${name}.log`),
        stopGraceMs: 15_000,
      });
      this.processes.push(p);
      return p;
    };
    const brokerFlags = [
      "--bindAddress",
      "127.0.0.1",
      "--listenPort",
      String(brokerPort),
      "--storePathRootDir",
      join(this.dir, "store"),
      "--flushDiskType",
      o.flushDiskType,
    ];
    const proxyFlags = [
      "--bindAddress",
      "127.0.0.1",
      "--advertisedAddress",
      "127.0.0.1",
      "--grpcServerPort",
      String(grpcPort),
      "--httpServerPort",
      String(httpPort),
    ];
    const namesrv = `127.0.0.1:${nsPort}`;
    const broker = `127.0.0.1:${brokerPort}`;
    const t0 = performance.now();
    if (o.layout === "proxy-local") {
      // The embedded broker takes broker.conf keys from a file; it registers with no nameserver.
      const conf = join(this.dir, "broker.conf");
      writeFileSync(
        conf,
        [
          "bindAddress=127.0.0.1",
          `listenPort=${brokerPort}`,
          `storePathRootDir=${join(this.dir, "store")}`,
          `flushDiskType=${o.flushDiskType}`,
          "",
        ].join("\n"),
      );
      spawn("proxy", [binPath("proxy"), "--mode", "local", "--brokerConfig", conf, ...proxyFlags]);
      this.addrs = { namesrv: "", broker, grpcPort, httpPort };
    } else {
      spawn("nameserver", [
        binPath("nameserver"),
        "--bindAddress",
        "127.0.0.1",
        "--listenPort",
        String(nsPort),
      ]);
      await this.waitOrTell(() => this.waitNameServer(namesrv));
      spawn("broker", [binPath("broker"), "-n", namesrv, ...brokerFlags]);
      if (o.layout === "proxy-cluster") {
        spawn("proxy", [binPath("proxy"), "--mode", "cluster", "-n", namesrv, ...proxyFlags]);
        this.addrs = { namesrv, broker, grpcPort, httpPort };
      } else {
        this.addrs = { namesrv, broker, grpcPort: 0, httpPort: 0 };
      }
    }
    await this.waitOrTell(() => this.waitServing());
    return performance.now() - t0;
  }

  /** Runs a wait; on failure names what each role logged (a role that never listens may still be running). */
  private async waitOrTell(wait: () => Promise<void>): Promise<void> {
    try {
      await wait();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- role logs:\n${this.tails()}`);
    }
  }

  private waitOptions() {
    return {
      timeoutMs: this.options.startTimeoutMs,
      intervalMs: 5,
      abortReason: () => {
        const dead = this.processes.find((p) => p.exited !== null);
        return dead ? `a role exited (${dead.exited}): ${dead.tail()}` : undefined;
      },
    };
  }

  /** The nameserver answers GET_BROKER_CLUSTER_INFO. */
  private async waitNameServer(namesrv: string): Promise<void> {
    await waitUntil(
      "nameserver serving",
      async () => ((await remotingCall(namesrv, 106)).code === 0 ? true : undefined),
      this.waitOptions(),
    );
  }

  /** Every role answers a real request: the nameserver knows the broker, the broker and the proxy answer. */
  private async waitServing(): Promise<void> {
    const { namesrv, broker, grpcPort } = this.addrs;
    const opts = this.waitOptions();
    const waits: Promise<unknown>[] = [
      waitUntil(
        "broker serving",
        async () => ((await remotingCall(broker, 28)).code === 0 ? true : undefined),
        opts,
      ),
    ];
    if (namesrv) {
      waits.push(
        waitUntil(
          "nameserver knows the broker",
          async () => {
            const r = await remotingCall(namesrv, 106);
            if (r.code === 0 && new TextDecoder().decode(r.body).includes(broker)) return true;
            // Thrown, not undefined: waitUntil reports the last error, which would else be a stale connect failure.
            throw new Error(
              `nameserver ${namesrv} answers (code ${r.code}) but does not list broker ${broker}`,
            );
          },
          opts,
        ),
      );
    }
    if (grpcPort) {
      waits.push(
        waitUntil(
          "proxy serving",
          async () => ((await grpcQueryRoute(grpcPort, "TBW102")) ? true : undefined),
          opts,
        ),
      );
    }
    await Promise.all(waits);
  }

  /** The logs of every role, for error messages. */
  tails(): string {
    return this.processes.map((p) => p.tail(800)).join("\n---\n");
  }

  async stop(): Promise<void> {
    // Reverse order: the proxy before the broker, the broker before the nameserver.
    for (const p of [...this.processes].reverse()) await p.stop();
    this.processes.length = 0;
    if (this.dir) removeDir(this.dir);
    this.dir = "";
  }
}
