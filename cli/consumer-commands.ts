import { MqError } from "../proto/error.ts";
import { createRequest } from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { type BrokerTarget, routeTargets } from "./admin-client.ts";
import {
  type AdminCommand,
  type CommandContext,
  type OptionSpecs,
  optionalString,
  requiredString,
} from "./command.ts";
import { formatTimestamp } from "./format.ts";
import { decodeConsumeStats, type OffsetWrapper } from "./stats-body.ts";
import { formatTable } from "./table.ts";

/** MixAll.RETRY_GROUP_TOPIC_PREFIX: a group's retry topic routes to the brokers that know the group. */
const RETRY_GROUP_TOPIC_PREFIX = "%RETRY%";

/**
 * Brokers to ask: those of the topic (-t), else those of the group's retry topic (as mqadmin), else every
 * master: a POP-only group may have offsets without a routed retry topic.
 */
async function consumeStatsTargets(
  ctx: CommandContext,
  group: string,
  topic?: string,
): Promise<BrokerTarget[]> {
  if (topic !== undefined) return routeTargets(await ctx.admin.topicRoute(topic));
  const retryRoute = await ctx.admin.topicRouteIfExists(RETRY_GROUP_TOPIC_PREFIX + group);
  if (retryRoute) return routeTargets(retryRoute);
  return ctx.admin.allMasters();
}

const consumerProgressOptions = {
  groupName: {
    type: "string",
    short: "g",
    valueName: "group",
    description: "consumer group",
    required: true,
  },
  topicName: { type: "string", short: "t", valueName: "topic", description: "only this topic" },
} as const satisfies OptionSpecs;

const consumerProgress: AdminCommand = {
  name: "consumerProgress",
  summary: "A consumer group's progress per queue: broker offset, consumer offset, diff and the total diff",
  options: consumerProgressOptions,
  async run(ctx, values) {
    const group = requiredString(values, "groupName");
    const topic = optionalString(values, "topicName");
    const targets = await consumeStatsTargets(ctx, group, topic);
    const queues: (OffsetWrapper & { diff: number })[] = [];
    let consumeTps = 0;
    for (const t of targets) {
      const res = await ctx.admin.invokeBroker(
        t.brokerAddr,
        createRequest(RequestCode.GET_CONSUME_STATS, { consumerGroup: group, topic }),
      );
      const stats = decodeConsumeStats(res.body);
      consumeTps += stats.consumeTps;
      // A queue the group never committed on reports -1 (or 0): everything in it is still to consume.
      for (const q of stats.offsetTable)
        queues.push({ ...q, diff: q.brokerOffset - Math.max(q.consumerOffset, 0) });
    }
    if (queues.length === 0) {
      throw new MqError(
        ResponseCode.CONSUMER_NOT_ONLINE,
        `no consume stats for group ${group}${topic ? ` on topic ${topic}` : ""}: it has no committed offsets`,
      );
    }
    const diffTotal = queues.reduce((sum, q) => sum + q.diff, 0);
    if (ctx.json) {
      ctx.output.out(JSON.stringify({ consumerGroup: group, queues, diffTotal, consumeTps }));
      return;
    }
    const rows = queues.map((q) => [
      q.topic,
      q.brokerName,
      q.queueId,
      q.brokerOffset,
      q.consumerOffset,
      q.diff,
      formatTimestamp(q.lastTimestamp) || "N/A",
    ]);
    const headers = [
      "#Topic",
      "#Broker Name",
      "#QID",
      "#Broker Offset",
      "#Consumer Offset",
      "#Diff",
      "#LastTime",
    ];
    for (const line of formatTable(headers, rows)) ctx.output.out(line);
    ctx.output.out("");
    ctx.output.out(`Consume TPS: ${consumeTps.toFixed(2)}`);
    ctx.output.out(`Consume Diff Total: ${diffTotal}`);
  },
};

export const consumerCommands: readonly AdminCommand[] = [consumerProgress];
