import { MqError } from "../proto/error.ts";
import { createRequest, decodeKVTable } from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { AdminClient } from "./admin-client.ts";
import type { AdminCommand, OptionSpecs } from "./command.ts";
import { optionalString } from "./command.ts";
import { formatTable } from "./table.ts";

/** What GET_BROKER_RUNTIME_INFO tells about a broker, when it answers. */
interface BrokerRuntime {
  version: string;
  inTps: number;
  outTps: number;
}

/** First number of a "tps tps tps" stats string (BrokerStatsManager's putTps / getTransferredTps). */
function firstNumber(value: string | undefined): number {
  const n = Number((value ?? "").trim().split(/\s+/)[0]);
  return Number.isFinite(n) ? n : 0;
}

/** GET_BROKER_RUNTIME_INFO; undefined when the broker is down or does not serve it (stats are optional). */
async function brokerRuntime(admin: AdminClient, brokerAddr: string): Promise<BrokerRuntime | undefined> {
  try {
    const res = await admin.invokeBroker(brokerAddr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO));
    const table = decodeKVTable(res.body).table;
    return {
      version: table.brokerVersionDesc ?? "",
      inTps: firstNumber(table.putTps),
      outTps: firstNumber(table.getTransferredTps),
    };
  } catch {
    return undefined;
  }
}

const clusterListOptions = {
  clusterName: { type: "string", short: "c", valueName: "cluster", description: "only this cluster" },
} as const satisfies OptionSpecs;

const clusterList: AdminCommand = {
  name: "clusterList",
  summary:
    "List clusters and their brokers (name, id, address; version and TPS when the broker reports them)",
  options: clusterListOptions,
  async run(ctx, values) {
    const only = optionalString(values, "clusterName");
    const info = await ctx.admin.clusterInfo();
    const clusters = Object.keys(info.clusterAddrTable)
      .filter((c) => only === undefined || c === only)
      .sort();
    if (only !== undefined && clusters.length === 0) {
      const known = Object.keys(info.clusterAddrTable).sort();
      throw new MqError(
        ResponseCode.INVALID_PARAMETER,
        `cluster ${only} not found on the nameserver (known: ${known.join(", ") || "none"})`,
      );
    }
    const brokers: { clusterName: string; brokerName: string; brokerId: number; brokerAddr: string }[] = [];
    for (const clusterName of clusters) {
      for (const brokerName of [...(info.clusterAddrTable[clusterName] ?? [])].sort()) {
        const data = info.brokerAddrTable[brokerName];
        if (!data) continue;
        const ids = Object.keys(data.brokerAddrs).sort((a, b) => Number(a) - Number(b));
        for (const id of ids) {
          brokers.push({ clusterName, brokerName, brokerId: Number(id), brokerAddr: data.brokerAddrs[id]! });
        }
      }
    }
    const runtimes = await Promise.all(brokers.map((b) => brokerRuntime(ctx.admin, b.brokerAddr)));
    const rows = brokers.map((b, i) => ({
      ...b,
      ...(runtimes[i] ?? {}),
      reachable: runtimes[i] !== undefined,
    }));
    if (ctx.json) {
      ctx.output.out(JSON.stringify({ brokers: rows }));
      return;
    }
    const table = formatTable(
      ["#Cluster Name", "#Broker Name", "#BID", "#Addr", "#Version", "#InTPS", "#OutTPS"],
      rows.map((r) => [
        r.clusterName,
        r.brokerName,
        r.brokerId,
        r.brokerAddr,
        r.reachable ? r.version || "-" : "-",
        r.reachable ? (r.inTps ?? 0).toFixed(2) : "-",
        r.reachable ? (r.outTps ?? 0).toFixed(2) : "-",
      ]),
    );
    for (const line of table) ctx.output.out(line);
  },
};

export const clusterCommands: readonly AdminCommand[] = [clusterList];
