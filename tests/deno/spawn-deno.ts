import { join } from "node:path";
import { type Subprocess, spawn } from "bun";

/*
 * Runs a script under Deno 2 (npm `deno`, node_modules/.bin/deno is the real binary, so its pid is the process
 * to stop) as a child of a Bun test. Deno resolves npm imports from the project's node_modules; no network.
 * This file runs under Bun; the scripts it starts run under Deno.
 */

const root = join(import.meta.dir, "..", "..");
export const denoBinary = join(root, "node_modules", ".bin", "deno");

export interface DenoChild {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Lines printed so far on stdout. */
  lines: string[];
  /** What it printed on stderr so far (for failure messages). */
  stderr(): string;
  /** Resolves with the first stdout line matching `re`; rejects at the deadline or when the process exits first. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** SIGTERM by pid, then the exit code (SIGKILL if it has not exited within 5 s). */
  stop(): Promise<number | null>;
}

async function collect(stream: ReadableStream<Uint8Array>, onText: (text: string) => void) {
  const decoder = new TextDecoder();
  for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }));
}

/** `deno run -A <script> ...args` from the project root. */
export function spawnDeno(script: string, args: string[], env: Record<string, string> = {}): DenoChild {
  const proc = spawn([denoBinary, "run", "-A", "--no-lock", script, ...args], {
    cwd: root,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", BUNMQ_LOG_LEVEL: "warn", ...env },
  });
  const lines: string[] = [];
  let rest = "";
  let err = "";
  const stdoutDone = collect(proc.stdout, (text) => {
    rest += text;
    let nl = rest.indexOf("\n");
    while (nl >= 0) {
      lines.push(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      nl = rest.indexOf("\n");
    }
  });
  void collect(proc.stderr, (text) => {
    err += text;
  });

  return {
    proc,
    lines,
    stderr: () => err,
    async waitForLine(re, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const line of lines) {
          const m = re.exec(line);
          if (m) return m;
        }
        if (proc.exitCode !== null || proc.signalCode !== null) {
          await stdoutDone;
          const m = lines.map((l) => re.exec(l)).find((x) => x);
          if (m) return m;
          throw new Error(
            `deno ${script} exited (${proc.exitCode ?? proc.signalCode}) before printing ${re}\nstdout:\n${lines.join("\n")}\nstderr:\n${err.slice(-4000)}`,
          );
        }
        if (Date.now() > deadline)
          throw new Error(
            `deno ${script} printed no line matching ${re} within ${timeoutMs} ms\nstdout:\n${lines.join("\n")}\nstderr:\n${err.slice(-4000)}`,
          );
        await Bun.sleep(25);
      }
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      try {
        return await proc.exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
