import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A private redis-server for tests: a free port on 127.0.0.1, its own temp dir, no persistence unless a test
 * asks for it (`SAVE` writes dump.rdb into the dir, which a restart on the same dir loads). Stopped by pid.
 * @example
 * const redis = await startRedisServer();
 * // ... redis.addr === "127.0.0.1:PORT"
 * await redis.close();
 */
export interface RedisServerHandle {
  readonly host: string;
  readonly port: number;
  /** "127.0.0.1:PORT" */
  readonly addr: string;
  readonly dir: string;
  /** pid of the running server, undefined while stopped */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after a deadline); the dir is kept. */
  stop(): Promise<void>;
  /** Starts it again on the same port and dir (loads dump.rdb if a test wrote one). */
  start(): Promise<void>;
  /** Sends one inline command (e.g. "SAVE", "FLUSHALL") and resolves with the raw reply line. */
  command(line: string): Promise<string>;
  /** Stops the server and removes its dir. */
  close(): Promise<void>;
}

export const REDIS_SERVER_BIN = "/usr/bin/redis-server";

function findRedisServer(): string {
  const found = Bun.which("redis-server") ?? (existsSync(REDIS_SERVER_BIN) ? REDIS_SERVER_BIN : null);
  if (!found) {
    throw new Error(
      "redis-server is not installed: install the Debian package `redis-server` (apt-get install redis-server)",
    );
  }
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function sendInline(host: string, port: number, line: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis ${host}:${port} did not answer "${line}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) {
        clearTimeout(timer);
        socket.end();
        resolve(reply.slice(0, reply.indexOf("\r\n")));
      }
    });
    socket.on("connect", () => socket.write(`${line}\r\n`));
  });
}

async function waitUntilReady(host: string, port: number, proc: Bun.Subprocess, deadlineMs: number) {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null)
      throw new Error(`redis-server exited with code ${proc.exitCode} on port ${port}`);
    try {
      if ((await sendInline(host, port, "PING", 500)) === "+PONG") return;
    } catch (err) {
      lastError = err;
    }
    await Bun.sleep(20);
  }
  throw new Error(`redis-server on ${host}:${port} not ready after ${deadlineMs} ms: ${String(lastError)}`);
}

/** Starts a redis-server on a free port of 127.0.0.1 in a fresh temp dir; fails naming the package if absent. */
export async function startRedisServer(): Promise<RedisServerHandle> {
  const bin = findRedisServer();
  const host = "127.0.0.1";
  const dir = mkdtempSync(join(tmpdir(), "bunmq-redis-"));
  let port = 0;
  let proc: Bun.Subprocess | undefined;

  const spawn = async (): Promise<void> => {
    const child = Bun.spawn(
      [
        bin,
        "--port",
        String(port),
        "--bind",
        host,
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--logfile",
        join(dir, "redis.log"),
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    proc = child;
    try {
      await waitUntilReady(host, port, child, 5000);
    } catch (err) {
      child.kill("SIGKILL");
      await child.exited;
      proc = undefined;
      throw err;
    }
  };

  const stop = async (): Promise<void> => {
    const child = proc;
    if (!child) return;
    proc = undefined;
    child.kill("SIGTERM");
    const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
    if (!exited) {
      child.kill("SIGKILL");
      await child.exited;
    }
  };

  // The free port may be taken between probing and binding; try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && !proc; attempt++) {
    port = await freePort();
    try {
      await spawn();
    } catch (err) {
      lastError = err;
    }
  }
  if (!proc) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start redis-server: ${String(lastError)}`);
  }

  return {
    host,
    get port() {
      return port;
    },
    get addr() {
      return `${host}:${port}`;
    },
    dir,
    get pid() {
      return proc?.pid;
    },
    stop,
    start: () => (proc ? Promise.resolve() : spawn()),
    command: (line) => sendInline(host, port, line),
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
