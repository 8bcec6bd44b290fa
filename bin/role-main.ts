import {
  ConfigError,
  type ConfigOf,
  createLogger,
  type Logger,
  loadConfig,
  type Schema,
  usage,
} from "../config/index.ts";

export interface RunningRole {
  /** One line per endpoint, printed once the role serves. */
  endpoints: string[];
  close(): Promise<void>;
}

export interface RoleMainOptions<S extends Schema> {
  role: string;
  schema: S;
  aliases?: Record<string, string>;
  start(config: ConfigOf<S>, logger: Logger): Promise<RunningRole>;
}

/**
 * The shared shape of every `bun run <role>` entry point: load the configuration (file, env, flags), answer
 * -h / -p, start, print the endpoints, and on SIGINT/SIGTERM close cleanly (flush, checkpoint) and exit 0.
 * A bad configuration exits 2 with the loader's message, which names the key.
 */
export async function roleMain<S extends Schema>(opts: RoleMainOptions<S>): Promise<void> {
  let loaded: ReturnType<typeof loadConfig<S>>;
  try {
    loaded = loadConfig(opts.schema, { argv: process.argv.slice(2), aliases: opts.aliases });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${opts.role}: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  if (loaded.help) {
    console.log(usage(opts.role, opts.schema));
    return;
  }
  if (loaded.printConfig) {
    for (const [key, value] of Object.entries(loaded.config)) console.log(`${key}=${value}`);
    return;
  }
  const logger = createLogger(opts.role);
  for (const warning of loaded.warnings) logger.warn(warning);

  let running: RunningRole;
  try {
    running = await opts.start(loaded.config, logger);
  } catch (err) {
    logger.error({ err }, `${opts.role} failed to start`);
    console.error(`${opts.role}: failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
  for (const line of running.endpoints) console.log(line);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, `${opts.role} shutting down`);
    try {
      await running.close();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
