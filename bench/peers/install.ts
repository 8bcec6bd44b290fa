/** Installs the peer brokers when they are missing, and names the versions a report lists. */
import { packageVersion } from "../harness/index.ts";

/** Path of the script that apt-get installs the peers when they are missing. */
export const peersSetupScript = new URL("./setup.sh", import.meta.url).pathname;

export function installPeers(): void {
  const setup = Bun.spawnSync(["bash", peersSetupScript], { stdout: "inherit", stderr: "inherit" });
  if (setup.exitCode !== 0) throw new Error(`${peersSetupScript} failed (exit ${setup.exitCode})`);
}

function debVersion(pkg: string): string {
  const format = "$" + "{Version}"; // dpkg-query's own syntax, not a template literal
  const r = Bun.spawnSync(["dpkg-query", "-W", "-f", format, pkg], { stdout: "pipe", stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "?";
}

/** Bun, the peer servers (Debian packages) and their clients (npm packages), name -> version. */
export async function peerVersions(): Promise<Record<string, string>> {
  return {
    bun: Bun.version,
    "nats-server (deb)": debVersion("nats-server"),
    "rabbitmq-server (deb)": debVersion("rabbitmq-server"),
    "erlang-base (deb)": debVersion("erlang-base"),
    "redis-server (deb)": debVersion("redis-server"),
    "nats (npm)": await packageVersion("nats"),
    "amqplib (npm)": await packageVersion("amqplib"),
  };
}
