/**
 * Environment the Bun runtime of every role starts with. package.json's role scripts set it in front of the
 * command (`bun run broker` runs them through Bun's cross-platform shell); spawners of roles (bench, tests that
 * measure) pass it too, so they measure what `bun run <role>` runs.
 *
 * BUN_GC_TIMER_DISABLE: Bun's repeating GC timer (an idle-memory reducer) collected on the event loop every
 * second under load, stalling requests by 4-15 ms each time (W3 p99 median 4.8 -> 3.7 ms without it, 6 runs
 * each). JSC's own allocation-driven collections still run; idle RSS of `npm start` was the same (62 MiB).
 */
export const roleRuntimeEnv: Readonly<Record<string, string>> = Object.freeze({ BUN_GC_TIMER_DISABLE: "1" });

/** The shell prefix of package.json's role scripts: `BUN_GC_TIMER_DISABLE=1 `. */
export function roleScriptPrefix(): string {
  return Object.entries(roleRuntimeEnv)
    .map(([k, v]) => `${k}=${v} `)
    .join("");
}
