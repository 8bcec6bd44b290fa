import { inflateSync } from "node:zlib";
import { MqError } from "../proto/error.ts";
import {
  decodeMessageRecord,
  decodeOffsetMessageId,
  MessageConst,
  type MessageExt,
  MessageSysFlag,
} from "../proto/message/index.ts";
import { createRequest } from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { routeTargets } from "./admin-client.ts";
import { UsageError } from "./args.ts";
import {
  type AdminCommand,
  type CommandContext,
  type OptionSpecs,
  optionalString,
  requiredString,
} from "./command.ts";
import { formatTimestamp, renderBody } from "./format.ts";

/** MixAll.UNIQUE_MSG_QUERY_FLAG: QUERY_MESSAGE looks `key` up as a UNIQ_KEY. */
const UNIQUE_MSG_QUERY_FLAG = "_UNIQUE_KEY_QUERY";
/** How many index hits a broker may return per query (its own default cap is 32 too). */
const QUERY_MAX_NUM = 32;

/** VIEW_MESSAGE_BY_ID at the store host encoded in an offset message id. */
async function viewByOffsetId(ctx: CommandContext, msgId: string, topic?: string): Promise<MessageExt> {
  const { storeHost, commitLogOffset } = decodeOffsetMessageId(msgId);
  const res = await ctx.admin.invokeBroker(
    storeHost,
    createRequest(RequestCode.VIEW_MESSAGE_BY_ID, { topic, offset: commitLogOffset }),
  );
  if (!res.body || res.body.length === 0) {
    throw new MqError(ResponseCode.QUERY_NOT_FOUND, `broker ${storeHost} returned no message for ${msgId}`);
  }
  return decodeMessageRecord(res.body);
}

/** QUERY_MESSAGE by UNIQ_KEY on every broker of the topic; the earliest stored match (retries reuse the key). */
async function queryByUniqKey(ctx: CommandContext, uniqKey: string, topic: string): Promise<MessageExt> {
  const found: MessageExt[] = [];
  for (const t of routeTargets(await ctx.admin.topicRoute(topic))) {
    const res = await ctx.admin.invokeBroker(
      t.brokerAddr,
      createRequest(RequestCode.QUERY_MESSAGE, {
        topic,
        key: uniqKey,
        maxNum: QUERY_MAX_NUM,
        beginTimestamp: 0,
        endTimestamp: Number.MAX_SAFE_INTEGER,
        [UNIQUE_MSG_QUERY_FLAG]: true,
      }),
      ResponseCode.SUCCESS,
      ResponseCode.QUERY_NOT_FOUND,
    );
    const body = res.code === ResponseCode.SUCCESS ? res.body : undefined;
    for (let at = 0; body && at < body.length; ) {
      const msg = decodeMessageRecord(body, at);
      at += msg.storeSize;
      if (msg.properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] === uniqKey) found.push(msg);
    }
  }
  found.sort((a, b) => a.storeTimestamp - b.storeTimestamp);
  const first = found[0];
  if (!first)
    throw new MqError(ResponseCode.QUERY_NOT_FOUND, `no message with UNIQ_KEY ${uniqKey} in topic ${topic}`);
  return first;
}

/** The body as the producer sent it; compressed bodies (zlib, zstd) are inflated, others are left as stored. */
function uncompressedBody(msg: MessageExt): { body: Uint8Array; compression?: string } {
  if ((msg.sysFlag & MessageSysFlag.COMPRESSED_FLAG) === 0) return { body: msg.body };
  const type = msg.sysFlag & MessageSysFlag.COMPRESSION_TYPE_COMPARATOR;
  try {
    if (type === 0 || type === MessageSysFlag.COMPRESSION_ZLIB_TYPE) {
      return { body: new Uint8Array(inflateSync(msg.body)), compression: "zlib" };
    }
    if (type === MessageSysFlag.COMPRESSION_ZSTD_TYPE) {
      return { body: new Uint8Array(Bun.zstdDecompressSync(msg.body)), compression: "zstd" };
    }
  } catch {
    return { body: msg.body, compression: "undecodable, shown as stored" };
  }
  return { body: msg.body, compression: "lz4, shown as stored" };
}

function describe(msg: MessageExt) {
  const { body, compression } = uncompressedBody(msg);
  const rendered = renderBody(body);
  return {
    msgId: msg.msgId,
    topic: msg.topic,
    tags: msg.properties[MessageConst.PROPERTY_TAGS] ?? "",
    keys: msg.properties[MessageConst.PROPERTY_KEYS] ?? "",
    uniqKey: msg.properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX] ?? "",
    queueId: msg.queueId,
    queueOffset: msg.queueOffset,
    commitLogOffset: msg.commitLogOffset,
    reconsumeTimes: msg.reconsumeTimes,
    bornTimestamp: msg.bornTimestamp,
    storeTimestamp: msg.storeTimestamp,
    bornHost: msg.bornHost,
    storeHost: msg.storeHost,
    sysFlag: msg.sysFlag,
    properties: msg.properties,
    ...(compression ? { compression } : {}),
    bodyEncoding: rendered.encoding,
    body: rendered.text,
  };
}

const queryMsgByIdOptions = {
  msgId: {
    type: "string",
    short: "i",
    valueName: "id",
    description: "offset message id (or UNIQ_KEY with -t)",
    required: true,
  },
  topic: {
    type: "string",
    short: "t",
    valueName: "topic",
    description: "topic; needed to look a UNIQ_KEY up",
  },
} as const satisfies OptionSpecs;

const queryMsgById: AdminCommand = {
  name: "queryMsgById",
  summary:
    "Show a message by its offset message id (broker address + CommitLog offset), or by UNIQ_KEY with -t",
  options: queryMsgByIdOptions,
  async run(ctx, values) {
    const msgId = requiredString(values, "msgId");
    const topic = optionalString(values, "topic");
    let isOffsetId = true;
    try {
      decodeOffsetMessageId(msgId);
    } catch {
      isOffsetId = false;
    }
    let msg: MessageExt;
    if (isOffsetId) {
      try {
        msg = await viewByOffsetId(ctx, msgId, topic);
      } catch (err) {
        // A client's UNIQ_KEY is also 32 hex digits: like mqadmin, retry it as one when a topic is given.
        if (topic === undefined) throw err;
        try {
          msg = await queryByUniqKey(ctx, msgId, topic);
        } catch (err2) {
          const a = MqError.from(err);
          throw new MqError(
            MqError.from(err2).code,
            `${msgId} not found as an offset id (${a.message}) nor as a UNIQ_KEY (${MqError.from(err2).message})`,
          );
        }
      }
    } else {
      if (topic === undefined) {
        throw new UsageError(
          `queryMsgById: ${JSON.stringify(msgId)} is not an offset message id; give -t <topic> to look it up as a UNIQ_KEY`,
        );
      }
      msg = await queryByUniqKey(ctx, msgId, topic);
    }
    const d = describe(msg);
    if (ctx.json) {
      ctx.output.out(JSON.stringify(d));
      return;
    }
    const line = (label: string, value: string | number) =>
      ctx.output.out(`${`${label}:`.padEnd(20)} ${value}`);
    line("OffsetID", d.msgId);
    line("Topic", d.topic);
    line("Tags", `[${d.tags}]`);
    line("Keys", `[${d.keys}]`);
    line("UNIQ_KEY", d.uniqKey);
    line("Queue ID", d.queueId);
    line("Queue Offset", d.queueOffset);
    line("CommitLog Offset", d.commitLogOffset);
    line("Reconsume Times", d.reconsumeTimes);
    line("Born Timestamp", formatTimestamp(d.bornTimestamp));
    line("Store Timestamp", formatTimestamp(d.storeTimestamp));
    line("Born Host", d.bornHost);
    line("Store Host", d.storeHost);
    line("System Flag", d.sysFlag);
    line("Properties", JSON.stringify(d.properties));
    if (d.compression) line("Compression", d.compression);
    line(d.bodyEncoding === "utf8" ? "Body" : "Body (base64)", d.body);
  },
};

export const messageCommands: readonly AdminCommand[] = [queryMsgById];
