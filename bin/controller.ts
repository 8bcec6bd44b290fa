/** `bun run controller [-c controller.conf] [--redisAddr host:port]`: master election for controller mode. */
import { controllerSchema } from "../config/index.ts";
import { createController } from "../controller/index.ts";
import { roleMain } from "./role-main.ts";

await roleMain({
  role: "controller",
  schema: controllerSchema,
  async start(config, logger) {
    const controller = createController({
      host: config.bindAddress,
      listenPort: config.listenPort,
      advertisedAddress: config.advertisedAddress || undefined,
      redisAddr: config.redisAddr,
      redisKeyPrefix: config.redisKeyPrefix,
      scanIntervalMs: config.scanNotActiveBrokerInterval,
      brokerHeartbeatTimeoutMs: config.brokerHeartbeatTimeoutMillis,
      enableElectUncleanMaster: config.enableElectUncleanMaster,
      notifyBrokerRoleChanged: config.notifyBrokerRoleChanged,
      electMasterMaxRetryCount: config.electMasterMaxRetryCount,
      logger,
    });
    try {
      const port = await controller.start();
      return {
        endpoints: [
          `controller listening on ${config.bindAddress}:${port} (remoting), advertised as ${controller.address}, ` +
            `state in ${controller.store.description}`,
        ],
        close: () => controller.close(),
      };
    } catch (err) {
      await controller.close();
      throw err;
    }
  },
});
