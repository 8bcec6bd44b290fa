/** bunmq as benchmark Targets (remoting, gRPC proxy, Connect), the W4/W5 measures and the docs sections. */
export {
  type BenchArgs,
  docsDir,
  parseBenchArgs,
  pickTargets,
  type RunInfo,
  startRun,
  writeDocSections,
} from "./cli.ts";
export {
  defaultEngineAppendOptions,
  type EngineAppendFigures,
  measureEngineAppend,
} from "./engine-append.ts";
export { checkGoals, type GoalCheck } from "./goals.ts";
export {
  createProxyTarget,
  defaultProxyTargetOptions,
  type ProxyMode,
  ProxyTarget,
  type ProxyTargetOptions,
} from "./proxy.ts";
export { type ProxyReport, proxySection, proxyShares } from "./proxy-section.ts";
export { type PublishOnlyResult, publishOnce, runPublishOnly } from "./publish-only.ts";
export {
  defaultRecoveryOptions,
  measureRecovery,
  type RecoveryFigures,
  type RecoveryOptions,
} from "./recovery.ts";
export {
  createRemotingTarget,
  defaultRemotingTargetOptions,
  RemotingTarget,
  type RemotingTargetOptions,
} from "./remoting.ts";
export { type EngineRow, remotingSection, remotingShare } from "./remoting-section.ts";
export { measureRole, ROLES, type RoleFootprint, type RoleName } from "./roles.ts";
export { BunmqStack, type BunmqStackOptions, defaultBunmqStackOptions, type StackLayout } from "./stack.ts";
export { summarySection, type VersusReport, versusSection } from "./versus-section.ts";
