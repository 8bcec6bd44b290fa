/**
 * W4 per role: each of nameserver, broker and proxy started alone as `bun bin/<role>.ts`, and the all-in-one
 * `npm start` (bin/start.ts: nameserver + broker + Local proxy in one process), timed from spawn until it
 * answers a real request, then left idle to read its RSS and CPU from /proc.
 */

import { join } from "node:path";
import { roleRuntimeEnv } from "../../config/index.ts";
import {
  clockTicksPerSecond,
  freePorts,
  makeTempDir,
  removeDir,
  ServerProcess,
  treeUsage,
  waitUntil,
} from "../harness/index.ts";
import { grpcQueryRoute } from "./grpc-client.ts";
import { remotingCall } from "./remoting-admin.ts";
import { binPath } from "./stack.ts";

export type RoleName = "nameserver" | "broker" | "proxy" | "all-in-one";

export const ROLES: readonly RoleName[] = Object.freeze(["nameserver", "broker", "proxy", "all-in-one"]);

export interface RoleFootprint {
  role: RoleName;
  /** What was started and what "serving" means, for the report. */
  how: string;
  startupMs: number;
  idleRssBytes: number;
  /** CPU while idle, in cores. */
  idleCores: number;
}

export interface RoleFootprintOptions {
  settleMs: number;
  startTimeoutMs: number;
  logLevel: string;
}

export const defaultRoleFootprintOptions: Readonly<RoleFootprintOptions> = Object.freeze({
  settleMs: 3000,
  startTimeoutMs: 30_000,
  logLevel: "warn",
});

/** The ports bin/start.ts listens on (it reads only BUNMQ_HOME from the environment). */
export const ALL_IN_ONE_PORTS = Object.freeze({ namesrv: 9876, broker: 10911, grpc: 8081, http: 8082 });

const HOW: Record<RoleName, string> = {
  nameserver: "`bun bin/nameserver.ts`; serving = GET_BROKER_CLUSTER_INFO answered",
  broker: "`bun bin/broker.ts` without a nameserver; serving = GET_BROKER_RUNTIME_INFO answered (store open)",
  proxy:
    "`bun bin/proxy.ts --mode cluster` with a nameserver already up (not counted); serving = gRPC QueryRoute answered",
  "all-in-one":
    "`npm start` (bun bin/start.ts, default ports); serving = gRPC QueryRoute answered (proxy started last)",
};

function portsFree(ports: number[]): boolean {
  for (const port of ports) {
    try {
      Bun.listen({ hostname: "0.0.0.0", port, socket: { data() {} } }).stop(true);
    } catch {
      return false;
    }
  }
  return true;
}

export async function measureRole(
  role: RoleName,
  options: Partial<RoleFootprintOptions> = {},
): Promise<RoleFootprint> {
  const o = { ...defaultRoleFootprintOptions, ...options };
  const dir = makeTempDir(`w4-${role}`);
  const started: ServerProcess[] = [];
  const env = { ...roleRuntimeEnv, BUNMQ_HOME: dir, BUNMQ_LOG_LEVEL: o.logLevel };
  const spawn = (name: string, args: string[]) => {
    const p = new ServerProcess({
      cmd: [process.execPath, ...args],
      env,
      cwd: dir,
      logFile: join(dir, `${name}.log`),
      stopGraceMs: 15_000,
    });
    started.push(p);
    return p;
  };
  try {
    const [nsPort, port, httpPort] = freePorts(3);
    const local = ["--bindAddress", "127.0.0.1"];
    let measured: ServerProcess;
    let probe: () => Promise<boolean>;
    if (role === "nameserver") {
      measured = spawn(role, [binPath("nameserver"), ...local, "--listenPort", String(port)]);
      probe = async () => (await remotingCall(`127.0.0.1:${port}`, 106)).code === 0;
    } else if (role === "broker") {
      measured = spawn(role, [
        binPath("broker"),
        ...local,
        "--listenPort",
        String(port),
        "--storePathRootDir",
        join(dir, "store"),
      ]);
      probe = async () => (await remotingCall(`127.0.0.1:${port}`, 28)).code === 0;
    } else if (role === "proxy") {
      const ns = spawn("nameserver", [binPath("nameserver"), ...local, "--listenPort", String(nsPort)]);
      await waitUntil(
        "nameserver",
        async () => ((await remotingCall(`127.0.0.1:${nsPort}`, 106)).code === 0 ? true : undefined),
        {
          timeoutMs: o.startTimeoutMs,
          intervalMs: 5,
          abortReason: () => (ns.exited !== null ? ns.tail() : undefined),
        },
      );
      measured = spawn(role, [
        binPath("proxy"),
        "--mode",
        "cluster",
        "-n",
        `127.0.0.1:${nsPort}`,
        ...local,
        "--grpcServerPort",
        String(port),
        "--httpServerPort",
        String(httpPort),
      ]);
      probe = () => grpcQueryRoute(port, "TBW102");
    } else {
      const p = ALL_IN_ONE_PORTS;
      if (!portsFree([p.namesrv, p.broker, p.grpc, p.http]))
        throw new Error(`npm start needs ports ${Object.values(p).join(", ")}, and one of them is taken`);
      measured = spawn(role, [binPath("start")]);
      probe = () => grpcQueryRoute(p.grpc, "TBW102");
    }
    await waitUntil(`${role} serving`, async () => ((await probe()) ? true : undefined), {
      timeoutMs: o.startTimeoutMs,
      intervalMs: 5,
      abortReason: () => (measured.exited !== null ? `exited: ${measured.tail()}` : undefined),
    });
    const startupMs = performance.now() - measured.startedAt;
    const hz = clockTicksPerSecond();
    const u0 = treeUsage([measured.pid], hz);
    const t0 = performance.now();
    await Bun.sleep(o.settleMs);
    const u1 = treeUsage([measured.pid], hz);
    return {
      role,
      how: HOW[role],
      startupMs,
      idleRssBytes: u1.rssBytes,
      idleCores: (u1.cpuMs - u0.cpuMs) / (performance.now() - t0),
    };
  } finally {
    for (const p of started.reverse()) await p.stop();
    removeDir(dir);
  }
}
