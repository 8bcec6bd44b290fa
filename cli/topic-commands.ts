import { MqError } from "../proto/error.ts";
import { createRequest, decodeTopicList } from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { type BrokerTarget, routeTargets } from "./admin-client.ts";
import { boolFlag, intFlag, UsageError } from "./args.ts";
import {
  type AdminCommand,
  type CommandContext,
  type OptionSpecs,
  optionalString,
  requiredString,
} from "./command.ts";
import { formatTimestamp } from "./format.ts";
import { decodeTopicStatsTable, type TopicOffset } from "./stats-body.ts";
import { formatTable } from "./table.ts";

/** KV namespace of the legacy order-topic config ("brokerName:queueNums;..."), NamesrvUtil's name. */
const ORDER_TOPIC_CONFIG = "ORDER_TOPIC_CONFIG";
/** The topic auto-creation template every CreateTopicRequestHeader names. */
const AUTO_CREATE_TOPIC_KEY_TOPIC = "TBW102";
const MESSAGE_TYPES = ["NORMAL", "FIFO", "DELAY", "TRANSACTION", "MIXED"] as const;
const MESSAGE_TYPE_ATTRIBUTE = "message.type";
/** TopicSysFlag bits. */
const FLAG_UNIT = 0x1;
const FLAG_UNIT_SUB = 0x2;

const updateTopicOptions = {
  topic: { type: "string", short: "t", valueName: "topic", description: "topic name", required: true },
  brokerAddr: {
    type: "string",
    short: "b",
    valueName: "addr",
    description: "create on this broker (host:port)",
  },
  clusterName: {
    type: "string",
    short: "c",
    valueName: "cluster",
    description: "create on every master of this cluster",
  },
  readQueueNums: { type: "string", short: "r", valueName: "n", description: "read queue count (default 8)" },
  writeQueueNums: {
    type: "string",
    short: "w",
    valueName: "n",
    description: "write queue count (default 8)",
  },
  perm: {
    type: "string",
    short: "p",
    valueName: "perm",
    description: "permission: 2 W, 4 R, 6 RW (default 6)",
  },
  order: {
    type: "string",
    short: "o",
    valueName: "bool",
    description: "order topic; writes the nameserver order conf",
  },
  attributes: {
    type: "string",
    short: "a",
    valueName: "attrs",
    description: "attributes, e.g. +message.type=FIFO",
  },
  messageType: {
    type: "string",
    valueName: "type",
    description: "shorthand for -a +message.type=<type>: NORMAL, FIFO, DELAY, TRANSACTION or MIXED",
  },
  unit: { type: "string", short: "u", valueName: "bool", description: "unit topic (topicSysFlag)" },
  hasUnitSub: { type: "string", short: "s", valueName: "bool", description: "has unit sub (topicSysFlag)" },
} as const satisfies OptionSpecs;

/** `-a` plus `--messageType`, as one AttributeParser string; the two must not disagree. */
function topicAttributes(
  attributes: string | undefined,
  messageType: string | undefined,
): string | undefined {
  const items = (attributes ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const item of items) {
    if (!/^(\+[^=,]+=[^,]*|-[^=,]+)$/.test(item)) {
      throw new UsageError(`attribute "${item}" is not +key=value or -key`);
    }
  }
  if (messageType !== undefined) {
    const type = messageType.toUpperCase();
    if (!(MESSAGE_TYPES as readonly string[]).includes(type)) {
      throw new UsageError(`--messageType must be one of ${MESSAGE_TYPES.join(", ")}, got "${messageType}"`);
    }
    const given = items.find((i) => i.startsWith(`+${MESSAGE_TYPE_ATTRIBUTE}=`));
    if (given !== undefined && given !== `+${MESSAGE_TYPE_ATTRIBUTE}=${type}`) {
      throw new UsageError(`--messageType ${type} contradicts -a ${given}`);
    }
    if (given === undefined) items.push(`+${MESSAGE_TYPE_ATTRIBUTE}=${type}`);
  }
  return items.length > 0 ? items.join(",") : undefined;
}

/** PUT_KV_CONFIG of the order conf on every nameserver; with `merge`, other brokers' entries are kept. */
async function putOrderConf(
  ctx: CommandContext,
  topic: string,
  entries: Map<string, number>,
  merge: boolean,
) {
  const conf = new Map<string, number>();
  if (merge) {
    const res = await ctx.admin.invokeNamesrv(
      createRequest(RequestCode.GET_KV_CONFIG, { namespace: ORDER_TOPIC_CONFIG, key: topic }),
      ResponseCode.SUCCESS,
      ResponseCode.QUERY_NOT_FOUND,
    );
    const old = res.code === ResponseCode.SUCCESS ? (res.extFields.value ?? "") : "";
    for (const part of old.split(";")) {
      const [name, nums] = part.split(":");
      if (name && nums && /^\d+$/.test(nums)) conf.set(name, Number(nums));
    }
  }
  for (const [name, nums] of entries) conf.set(name, nums);
  const value = [...conf].map(([name, nums]) => `${name}:${nums}`).join(";");
  await ctx.admin.invokeAllNamesrv(
    createRequest(RequestCode.PUT_KV_CONFIG, { namespace: ORDER_TOPIC_CONFIG, key: topic, value }),
  );
  return value;
}

const updateTopic: AdminCommand = {
  name: "updateTopic",
  summary: "Create or update a topic on a broker (-b) or on every master of a cluster (-c)",
  options: updateTopicOptions,
  async run(ctx, values) {
    const o = updateTopicOptions;
    const topic = requiredString(values, "topic");
    const brokerAddr = optionalString(values, "brokerAddr");
    const clusterName = optionalString(values, "clusterName");
    if ((brokerAddr === undefined) === (clusterName === undefined)) {
      throw new UsageError("updateTopic: give exactly one of -b (--brokerAddr) or -c (--clusterName)");
    }
    const range = { min: 1, max: 1024 };
    const config = {
      topicName: topic,
      readQueueNums: intFlag(values, "readQueueNums", o.readQueueNums, range, 8),
      writeQueueNums: intFlag(values, "writeQueueNums", o.writeQueueNums, range, 8),
      perm: intFlag(values, "perm", o.perm, { min: 0, max: 15 }, 6),
      topicFilterType: "SINGLE_TAG",
      topicSysFlag:
        (boolFlag(values, "unit", o.unit, false) ? FLAG_UNIT : 0) |
        (boolFlag(values, "hasUnitSub", o.hasUnitSub, false) ? FLAG_UNIT_SUB : 0),
      order: boolFlag(values, "order", o.order, false),
      attributes: topicAttributes(
        optionalString(values, "attributes"),
        optionalString(values, "messageType"),
      ),
    };
    let targets: BrokerTarget[];
    if (clusterName !== undefined) {
      targets = await ctx.admin.clusterMasters(clusterName);
      if (targets.length === 0)
        throw new MqError(ResponseCode.SYSTEM_ERROR, `cluster ${clusterName} has no master`);
    } else {
      targets = [{ clusterName: "", brokerName: "", brokerAddr: brokerAddr! }];
    }
    const request = createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic,
      defaultTopic: AUTO_CREATE_TOPIC_KEY_TOPIC,
      readQueueNums: config.readQueueNums,
      writeQueueNums: config.writeQueueNums,
      perm: config.perm,
      topicFilterType: config.topicFilterType,
      topicSysFlag: config.topicSysFlag,
      order: config.order,
      attributes: config.attributes,
      force: false,
    });
    const done: string[] = [];
    for (const t of targets) {
      await ctx.admin.invokeBroker(t.brokerAddr, request);
      done.push(t.brokerAddr);
      if (!ctx.json) ctx.output.out(`create topic to ${t.brokerAddr} success.`);
    }
    let orderConf: string | undefined;
    if (config.order) {
      let names: string[];
      if (clusterName !== undefined) {
        names = targets.map((t) => t.brokerName);
      } else {
        const info = await ctx.admin.clusterInfo();
        const owner = Object.values(info.brokerAddrTable).find((b) =>
          Object.values(b.brokerAddrs).includes(brokerAddr!),
        );
        if (!owner) {
          throw new MqError(
            ResponseCode.BROKER_NOT_EXIST,
            `broker ${brokerAddr} is not registered on the nameserver, cannot write its order conf`,
          );
        }
        names = [owner.brokerName];
      }
      const entries = new Map(names.map((n) => [n, config.writeQueueNums]));
      orderConf = await putOrderConf(ctx, topic, entries, clusterName === undefined);
      if (!ctx.json) ctx.output.out(`set order conf: ${orderConf}`);
    }
    if (ctx.json) {
      ctx.output.out(
        JSON.stringify({ brokers: done, topicConfig: config, ...(orderConf ? { orderConf } : {}) }),
      );
    } else {
      ctx.output.out(JSON.stringify(config));
    }
  },
};

const deleteTopicOptions = {
  topic: { type: "string", short: "t", valueName: "topic", description: "topic name", required: true },
  clusterName: {
    type: "string",
    short: "c",
    valueName: "cluster",
    description: "delete from every master of this cluster",
    required: true,
  },
} as const satisfies OptionSpecs;

const deleteTopic: AdminCommand = {
  name: "deleteTopic",
  summary: "Delete a topic from the masters of a cluster and from every nameserver",
  options: deleteTopicOptions,
  async run(ctx, values) {
    const topic = requiredString(values, "topic");
    const clusterName = requiredString(values, "clusterName");
    const targets = await ctx.admin.clusterMasters(clusterName);
    for (const t of targets) {
      await ctx.admin.invokeBroker(
        t.brokerAddr,
        createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { topic }),
      );
    }
    if (!ctx.json) ctx.output.out(`delete topic [${topic}] from cluster [${clusterName}] success.`);
    await ctx.admin.invokeAllNamesrv(
      createRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic, clusterName }),
    );
    // The legacy order conf would otherwise outlive the topic.
    await ctx.admin.invokeAllNamesrv(
      createRequest(RequestCode.DELETE_KV_CONFIG, { namespace: ORDER_TOPIC_CONFIG, key: topic }),
    );
    if (ctx.json) {
      ctx.output.out(JSON.stringify({ topic, clusterName, brokers: targets.map((t) => t.brokerAddr) }));
    } else {
      ctx.output.out(`delete topic [${topic}] from NameServer success.`);
    }
  },
};

const topicListOptions = {
  clusterName: {
    type: "string",
    short: "c",
    valueName: "cluster",
    description: "only topics of this cluster",
  },
} as const satisfies OptionSpecs;

const topicList: AdminCommand = {
  name: "topicList",
  summary: "List the topics the nameserver knows (all, or those of one cluster)",
  options: topicListOptions,
  async run(ctx, values) {
    const cluster = optionalString(values, "clusterName");
    const request =
      cluster === undefined
        ? createRequest(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)
        : createRequest(RequestCode.GET_TOPICS_BY_CLUSTER, { cluster });
    const topics = decodeTopicList((await ctx.admin.invokeNamesrv(request)).body).topicList;
    topics.sort();
    if (ctx.json) ctx.output.out(JSON.stringify({ topicList: topics }));
    else for (const t of topics) ctx.output.out(t);
  },
};

const topicRouteOptions = {
  topic: { type: "string", short: "t", valueName: "topic", description: "topic name", required: true },
} as const satisfies OptionSpecs;

const topicRoute: AdminCommand = {
  name: "topicRoute",
  summary: "Print a topic's route (queue data and brokers) as JSON",
  options: topicRouteOptions,
  async run(ctx, values) {
    const route = await ctx.admin.topicRoute(requiredString(values, "topic"));
    ctx.output.out(ctx.json ? JSON.stringify(route) : JSON.stringify(route, null, 2));
  },
};

const topicStatusOptions = {
  topic: { type: "string", short: "t", valueName: "topic", description: "topic name", required: true },
  clusterName: {
    type: "string",
    short: "c",
    valueName: "cluster",
    description: "only brokers of this cluster",
  },
} as const satisfies OptionSpecs;

const topicStatus: AdminCommand = {
  name: "topicStatus",
  summary: "Per queue of a topic: broker, queue id, min and max offset, last update time",
  options: topicStatusOptions,
  async run(ctx, values) {
    const topic = requiredString(values, "topic");
    const cluster = optionalString(values, "clusterName");
    const targets = routeTargets(await ctx.admin.topicRoute(topic), cluster);
    if (targets.length === 0) {
      throw new MqError(ResponseCode.TOPIC_NOT_EXIST, `topic ${topic} has no broker in cluster ${cluster}`);
    }
    const queues: (TopicOffset & { brokerAddr: string })[] = [];
    let topicPutTps = 0;
    for (const t of targets) {
      const res = await ctx.admin.invokeBroker(
        t.brokerAddr,
        createRequest(RequestCode.GET_TOPIC_STATS_INFO, { topic }),
      );
      const stats = decodeTopicStatsTable(res.body);
      topicPutTps += stats.topicPutTps;
      for (const q of stats.offsetTable) queues.push({ ...q, brokerAddr: t.brokerAddr });
    }
    if (ctx.json) {
      ctx.output.out(JSON.stringify({ topic, queues, topicPutTps }));
      return;
    }
    const rows = queues.map((q) => [
      q.brokerName,
      q.queueId,
      q.minOffset,
      q.maxOffset,
      formatTimestamp(q.lastUpdateTimestamp),
    ]);
    for (const line of formatTable(
      ["#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated"],
      rows,
    )) {
      ctx.output.out(line);
    }
  },
};

export const topicCommands: readonly AdminCommand[] = [
  updateTopic,
  deleteTopic,
  topicList,
  topicRoute,
  topicStatus,
];
