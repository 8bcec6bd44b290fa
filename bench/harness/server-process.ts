/**
 * A server process started by the benchmark: output goes to a log file in its temp dir, and stop()
 * signals only this pid (SIGTERM, then SIGKILL after a grace period).
 */
import { closeSync, openSync, readFileSync } from "node:fs";
import type { Subprocess } from "bun";
import { waitUntil } from "./wait-until.ts";

export interface ServerProcessOptions {
  cmd: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** stdout and stderr are appended here; tail() reads it back for error messages. */
  logFile: string;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopGraceMs: number;
}

export const defaultServerProcessOptions: Readonly<Pick<ServerProcessOptions, "stopGraceMs">> = Object.freeze(
  {
    stopGraceMs: 15_000,
  },
);

export class ServerProcess {
  readonly pid: number;
  readonly startedAt: number;
  private readonly proc: Subprocess;
  private readonly logFd: number;
  private exitCode: number | null = null;

  constructor(readonly options: ServerProcessOptions) {
    this.logFd = openSync(options.logFile, "a");
    this.startedAt = performance.now();
    this.proc = Bun.spawn(options.cmd, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdin: "ignore",
      stdout: this.logFd,
      stderr: this.logFd,
    });
    this.pid = this.proc.pid;
    this.proc.exited.then((code) => {
      this.exitCode = code;
    });
  }

  /** The exit code once the process has ended, else null. */
  get exited(): number | null {
    return this.exitCode;
  }

  /** Polls probe until the server answers; gives up at once, with the log's tail, if the process exits. */
  async waitServing(
    what: string,
    probe: () => Promise<true | undefined>,
    timeoutMs: number,
    intervalMs: number,
  ) {
    await waitUntil(what, probe, {
      timeoutMs,
      intervalMs,
      abortReason: () => (this.exitCode !== null ? `exited: ${this.tail()}` : undefined),
    });
  }

  /** The last bytes of the log, for error messages. */
  tail(bytes = 2000): string {
    try {
      const text = readFileSync(this.options.logFile, "utf8");
      return text.slice(-bytes);
    } catch {
      return "";
    }
  }

  async stop(): Promise<void> {
    if (this.exitCode === null) {
      this.proc.kill("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      // A cleared timer, not Bun.sleep: a pending sleep would keep the event loop alive.
      const graceful = await Promise.race([
        this.proc.exited.then(() => true),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(false), this.options.stopGraceMs);
        }),
      ]);
      clearTimeout(timer);
      if (!graceful) {
        this.proc.kill("SIGKILL");
        await this.proc.exited;
      }
    }
    try {
      closeSync(this.logFd);
    } catch {
      // already closed by an earlier stop()
    }
  }
}
