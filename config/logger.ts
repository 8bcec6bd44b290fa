import pino, { type Logger } from "pino";

export type { Logger };

/**
 * One logger per role instance (several roles share a process under `npm start`, so the role name is a
 * field, not a global). Level from `BUNMQ_LOG_LEVEL` (default info; tests set it to warn or silent).
 */
export function createLogger(
  role: string,
  opts: { level?: string; extra?: Record<string, unknown> } = {},
): Logger {
  const level = opts.level ?? process.env.BUNMQ_LOG_LEVEL ?? "info";
  return pino({ name: role, level, base: { role, ...opts.extra } });
}
