/** Polls an async probe until it succeeds or a deadline passes (no fixed sleeps in callers). */
export interface WaitUntilOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Checked each round: a reason to give up early (e.g. the server process exited). */
  abortReason?: () => string | undefined;
}

export const defaultWaitUntilOptions: Readonly<WaitUntilOptions> = Object.freeze({
  timeoutMs: 60_000,
  intervalMs: 20,
});

export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: Partial<WaitUntilOptions> = {},
): Promise<T> {
  const o = { ...defaultWaitUntilOptions, ...options };
  const deadline = performance.now() + o.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = o.abortReason?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    try {
      const v = await probe();
      if (v !== undefined) return v;
      lastError = undefined; // the probe got an answer: an earlier error is no longer the reason
    } catch (e) {
      lastError = e;
    }
    if (performance.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`${what}: not within ${o.timeoutMs} ms${detail}`);
    }
    await Bun.sleep(o.intervalMs);
  }
}
