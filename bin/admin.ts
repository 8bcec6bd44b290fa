/** `bun run admin <command> [flags]`: a small mqadmin. `bun run admin -h` lists the commands. */
import { runAdmin } from "../cli/index.ts";

const timeoutMs = Number(process.env.ADMIN_TIMEOUT_MS ?? "") || undefined;
const code = await runAdmin(
  process.argv.slice(2),
  {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  },
  timeoutMs ? { timeoutMs } : {},
);
// exitCode rather than exit(): let stdout drain when it is a pipe.
process.exitCode = code;
