/**
 * `bun run admin`: a small mqadmin over remoting (topics, routes, clusters, consumer progress, message lookup).
 * Commands and flags follow RocketMQ's mqadmin; see README.md.
 */
export { AdminClient, type AdminClientOptions, defaultAdminClientOptions } from "./admin-client.ts";
export { UsageError } from "./args.ts";
export type { AdminCommand, AdminOutput, OptionSpec } from "./command.ts";
export {
  type AdminIo,
  adminCommands,
  defaultRunAdminOptions,
  ExitCode,
  type RunAdminOptions,
  runAdmin,
} from "./run-admin.ts";
export { decodeConsumeStats, decodeTopicStatsTable } from "./stats-body.ts";
