/** Configuration shared by every role: schemas with RocketMQ's key names, the loader, and logging. */
export { envName, type LoadConfigOptions, type LoadedConfig, loadConfig, usage } from "./load.ts";
export { createLogger, type Logger } from "./logger.ts";
export { type PropertyLine, parseProperties } from "./properties.ts";
export { brokerSchema, controllerSchema, nameServerSchema, proxySchema, type RoleName } from "./roles.ts";
export { roleRuntimeEnv, roleScriptPrefix } from "./runtime-env.ts";
export { ConfigError, type ConfigOf, type KeySpec, type Schema } from "./schema.ts";
