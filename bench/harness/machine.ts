/** The machine and software a benchmark ran on, for the report's header. */
import { availableParallelism, cpus, release, totalmem } from "node:os";

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memory: string;
  kernel: string;
  /** Device, filesystem type and size of the folder the brokers write to. */
  disk: string;
  os: string;
  bun: string;
}

function commandOutput(cmd: string[]): string {
  try {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "ignore" });
    return r.exitCode === 0 ? r.stdout.toString().trim() : "";
  } catch {
    return "";
  }
}

export function machineInfo(dataDir: string): MachineInfo {
  const free = commandOutput(["free", "-h"]).split("\n")[1]?.trim().split(/\s+/)[1];
  const df = commandOutput(["df", "-hT", dataDir]).split("\n")[1]?.trim().split(/\s+/) ?? [];
  const os = commandOutput(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]);
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memory: free ?? `${(totalmem() / 1024 ** 3).toFixed(1)}Gi`,
    kernel: `Linux ${release()}`,
    disk: df.length >= 3 ? `${df[0]} (${df[1]}, ${df[2]})` : "unknown",
    os: os || "unknown",
    bun: `Bun ${Bun.version}`,
  };
}

/** Version of an npm package installed in this checkout, from its package.json. */
export async function packageVersion(name: string): Promise<string> {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    const pkg = (await Bun.file(url).json()) as { version?: string };
    return pkg.version ?? "?";
  } catch {
    return "?";
  }
}
