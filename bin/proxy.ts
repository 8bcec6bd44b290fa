/**
 * `bun run proxy [--mode local|cluster] [-n namesrvAddr] [-c rmq-proxy.json] [--brokerConfig broker.conf]`:
 * RocketMQ 5's gRPC API (gRPC on grpcServerPort, Connect / gRPC-Web on httpServerPort). In local mode it runs a
 * broker in this process, configured from --brokerConfig (broker.conf keys) or defaults.
 */
import { brokerSchema, ConfigError, createLogger, loadConfig, proxySchema } from "../config/index.ts";
import { type Backend, createClusterBackend, createLocalBackend, createProxy } from "../proxy/index.ts";
import { type RunningRole, roleMain } from "./role-main.ts";

// --brokerConfig belongs to the embedded broker, not to ProxyConfig: take it out before the proxy's flags are read.
const at = process.argv.indexOf("--brokerConfig");
const brokerConfigFile = at >= 0 ? process.argv[at + 1] : undefined;
if (at >= 0) {
  if (!brokerConfigFile || brokerConfigFile.startsWith("-")) {
    console.error("proxy: --brokerConfig needs a file");
    process.exit(2);
  }
  process.argv.splice(at, 2);
}

await roleMain({
  role: "proxy",
  schema: proxySchema,
  aliases: { mode: "proxyMode" },
  async start(config, logger): Promise<RunningRole> {
    const endpoints: string[] = [];
    const closers: (() => Promise<void>)[] = [];
    let backend: Backend;
    if (config.proxyMode === "LOCAL") {
      let brokerConfig: ReturnType<typeof loadConfig<typeof brokerSchema>>["config"];
      try {
        brokerConfig = loadConfig(brokerSchema, {
          argv: brokerConfigFile ? ["-c", brokerConfigFile] : [],
        }).config;
      } catch (err) {
        if (err instanceof ConfigError) throw new Error(`broker config: ${err.message}`);
        throw err;
      }
      // Imported here, not at the top: the broker's store needs Bun (bun:ffi, Bun.mmap), a Cluster-mode proxy
      // does not, and must start under Deno.
      const { createBroker } = await import("../broker/index.ts");
      const broker = createBroker({ config: brokerConfig, logger: createLogger("broker") });
      await broker.start();
      closers.push(() => broker.close());
      endpoints.push(
        `broker ${brokerConfig.brokerName} (in process) on ${brokerConfig.bindAddress}:${broker.port}, store ${brokerConfig.storePathRootDir}`,
      );
      backend = createLocalBackend({ broker: broker.api });
    } else {
      backend = createClusterBackend({
        namesrvAddr: config.namesrvAddr,
        routeRefreshIntervalMillis: config.routeRefreshIntervalMills,
        requestTimeoutMillis: 3000,
        logger,
      });
    }
    closers.unshift(() => backend.close());
    const proxy = createProxy({ config, backend, logger });
    try {
      await proxy.start();
    } catch (err) {
      for (const close of closers) await close();
      throw err;
    }
    closers.unshift(() => proxy.close());
    endpoints.push(
      `proxy (${config.proxyMode.toLowerCase()} mode) gRPC on ${config.bindAddress}:${proxy.grpcPort}, Connect/gRPC-Web on http://${config.bindAddress}:${proxy.httpPort}, advertised as ${config.advertisedAddress}:${proxy.grpcPort}`,
    );
    return {
      endpoints,
      async close() {
        for (const close of closers) await close();
      },
    };
  },
});
