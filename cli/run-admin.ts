import { MqError } from "../proto/error.ts";
import { AdminClient } from "./admin-client.ts";
import { commonOptions, namesrvAddrs, parseCommandArgs, UsageError } from "./args.ts";
import { clusterCommands } from "./cluster-commands.ts";
import type { AdminCommand, AdminOutput, OptionSpecs } from "./command.ts";
import { consumerCommands } from "./consumer-commands.ts";
import { messageCommands } from "./message-commands.ts";
import { topicCommands } from "./topic-commands.ts";

/** Every command, in the order the command list shows them. */
export const adminCommands: readonly AdminCommand[] = [
  ...topicCommands,
  ...clusterCommands,
  ...consumerCommands,
  ...messageCommands,
];

export interface AdminIo extends AdminOutput {
  /** One line of diagnostics (errors). */
  err(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

export interface RunAdminOptions {
  /** Per request, connecting included. */
  timeoutMs: number;
}

export const defaultRunAdminOptions: Readonly<RunAdminOptions> = Object.freeze({ timeoutMs: 5000 });

/** Exit statuses: 0 ok, 1 the operation failed (server refused, unreachable), 2 bad command line. */
export const ExitCode = Object.freeze({ OK: 0, FAILED: 1, USAGE: 2 });

const PROGRAM = "bun run admin";

function commandList(): string[] {
  const width = Math.max(...adminCommands.map((c) => c.name.length));
  return [
    `usage: ${PROGRAM} <command> [flags]   (${PROGRAM} <command> -h for its flags)`,
    "",
    "commands:",
    ...adminCommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "common flags: -n <namesrv host:port[;host:port]> (default $NAMESRV_ADDR, else 127.0.0.1:9876), --json, -h",
  ];
}

function optionLines(specs: OptionSpecs): string[] {
  const entries = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : "    "}--${name}${spec.type === "string" ? ` <${spec.valueName ?? "value"}>` : ""}`;
    return [flag, `${spec.required ? "(required) " : ""}${spec.description}`] as const;
  });
  const width = Math.max(...entries.map(([f]) => f.length));
  return entries.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

function commandHelp(command: AdminCommand): string[] {
  return [
    `usage: ${PROGRAM} ${command.name} [flags]`,
    "",
    command.summary,
    "",
    "flags:",
    ...optionLines({ ...command.options, ...commonOptions }),
  ];
}

function findCommand(name: string): AdminCommand {
  const command = adminCommands.find((c) => c.name === name);
  if (command) return command;
  const near = adminCommands.find((c) => c.name.toLowerCase() === name.toLowerCase());
  throw new UsageError(
    `unknown command "${name}"${near ? ` (did you mean ${near.name}?)` : ""}; run "${PROGRAM} -h" for the list`,
  );
}

/**
 * Runs one admin command line (`argv` without the program name) and returns the exit status. Output goes to
 * `io.out`, failures to `io.err` as one line, never a stack trace.
 * @example await runAdmin(["topicList", "-n", "127.0.0.1:9876"], { out: console.log, err: console.error, env: process.env })
 */
export async function runAdmin(
  argv: readonly string[],
  io: AdminIo,
  options: Partial<RunAdminOptions> = {},
): Promise<number> {
  const opts = { ...defaultRunAdminOptions, ...options };
  const [name, ...rest] = argv;
  if (name === undefined) {
    for (const line of commandList()) io.err(line);
    return ExitCode.USAGE;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    const topic = rest[0];
    try {
      for (const line of topic ? commandHelp(findCommand(topic)) : commandList()) io.out(line);
      return ExitCode.OK;
    } catch (err) {
      io.err(`error: ${MqError.from(err).message}`);
      return ExitCode.USAGE;
    }
  }
  let admin: AdminClient | undefined;
  try {
    const command = findCommand(name);
    const specs = { ...command.options, ...commonOptions };
    const values = parseCommandArgs(command.name, specs, rest);
    if (values.help) {
      for (const line of commandHelp(command)) io.out(line);
      return ExitCode.OK;
    }
    admin = new AdminClient({ namesrvAddrs: namesrvAddrs(values, io.env), timeoutMs: opts.timeoutMs });
    await command.run({ admin, output: io, json: values.json === true }, values);
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}`);
      return ExitCode.USAGE;
    }
    io.err(`error: ${MqError.from(err).message}`);
    return ExitCode.FAILED;
  } finally {
    await admin?.close();
  }
}
