import { decodeMessagePropertiesKeepingSource } from "../../proto/message/index.ts";
import type { RemotingCommand, RemotingContext, RemotingServer } from "../../proto/remoting/index.ts";
import { readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import type { BrokerApi, SendOptions, SendResult } from "../broker-api.ts";
import { decodeBatchBody } from "./batch-body.ts";
import { bornHostOf, ok } from "./respond.ts";

/** SendMessageRequestHeader; SEND_MESSAGE_V2 carries the same fields under one-letter names. */
const sendHeader = {
  producerGroup: "string",
  topic: "string",
  defaultTopic: "string?",
  defaultTopicQueueNums: "int?",
  queueId: "int?",
  sysFlag: "int?",
  bornTimestamp: "long?",
  flag: "int?",
  properties: "string?",
  reconsumeTimes: "int?",
  unitMode: "bool?",
  batch: "bool?",
  maxReconsumeTimes: "int?",
} as const;

/** SEND_MESSAGE_V2 (SendMessageRequestHeaderV2) carries the same fields under one-letter keys. */
const V2_WIRE_NAMES = {
  producerGroup: "a",
  topic: "b",
  defaultTopic: "c",
  defaultTopicQueueNums: "d",
  queueId: "e",
  sysFlag: "f",
  bornTimestamp: "g",
  flag: "h",
  properties: "i",
  reconsumeTimes: "j",
  unitMode: "k",
  maxReconsumeTimes: "l",
  batch: "m",
} as const;

function readSendHeader(cmd: RemotingCommand, v2: boolean) {
  return v2 ? readHeader(cmd, sendHeader, V2_WIRE_NAMES) : readHeader(cmd, sendHeader);
}

function optionsOf(h: ReturnType<typeof readSendHeader>): SendOptions {
  const options: SendOptions = { producerGroup: h.producerGroup };
  if (h.maxReconsumeTimes !== undefined) options.maxReconsumeTimes = h.maxReconsumeTimes;
  if (h.defaultTopicQueueNums !== undefined) options.defaultTopicQueueNums = h.defaultTopicQueueNums;
  return options;
}

/** SendMessageResponseHeader (`msgId`: a batch's ids joined by ",") plus the region/trace fields Java brokers add. */
function sendResponse(request: RemotingCommand, first: SendResult, msgId: string): RemotingCommand {
  // Literals of strings (MessageConst.PROPERTY_MSG_REGION / PROPERTY_TRACE_SWITCH spelled out): fixed shapes, nothing
  // for toExtFields to convert. Field order as before.
  if (first.recallHandle)
    return ok(request, {
      msgId,
      queueId: String(first.queueId),
      queueOffset: String(first.queueOffset),
      recallHandle: first.recallHandle,
      MSG_REGION: "DefaultRegion",
      TRACE_ON: "true",
    });
  return ok(request, {
    msgId,
    queueId: String(first.queueId),
    queueOffset: String(first.queueOffset),
    MSG_REGION: "DefaultRegion",
    TRACE_ON: "true",
  });
}

export interface SendHandlerDeps {
  api: BrokerApi;
}

/** SEND_MESSAGE, SEND_MESSAGE_V2, SEND_BATCH_MESSAGE, RECALL_MESSAGE and CONSUMER_SEND_MSG_BACK. */
export function registerSendHandlers(server: RemotingServer, deps: SendHandlerDeps): void {
  const { api } = deps;

  const batch = async (cmd: RemotingCommand, ctx: RemotingContext, v2: boolean) => {
    const h = readSendHeader(cmd, v2);
    const entries = decodeBatchBody(cmd.body);
    const results = await api.sendBatch(
      entries.map((e) => ({
        topic: h.topic,
        body: e.body,
        flag: e.flag,
        properties: e.properties,
        queueId: h.queueId ?? -1,
        sysFlag: h.sysFlag ?? 0,
        bornTimestamp: h.bornTimestamp ?? Date.now(),
        bornHost: bornHostOf(ctx.remoteAddress),
      })),
      optionsOf(h),
    );
    return sendResponse(cmd, results[0]!, results.map((r) => r.msgId).join(","));
  };

  // Not async: one promise less per message. A bad header throws synchronously, which the connection answers
  // like a rejection.
  const single = (v2: boolean) => (cmd: RemotingCommand, ctx: RemotingContext) => {
    const h = readSendHeader(cmd, v2);
    if (h.batch) return batch(cmd, ctx, v2);
    return api
      .send(
        {
          topic: h.topic,
          body: cmd.body ?? new Uint8Array(0),
          flag: h.flag ?? 0,
          // Keeps the string: the sender stores it as is when it changes no property.
          properties: decodeMessagePropertiesKeepingSource(h.properties ?? ""),
          queueId: h.queueId ?? -1,
          sysFlag: h.sysFlag ?? 0,
          bornTimestamp: h.bornTimestamp ?? Date.now(),
          bornHost: bornHostOf(ctx.remoteAddress),
          reconsumeTimes: h.reconsumeTimes ?? 0,
        },
        optionsOf(h),
      )
      .then((result) => sendResponse(cmd, result, result.msgId));
  };

  server.handle(RequestCode.SEND_MESSAGE, single(false));
  server.handle(RequestCode.SEND_MESSAGE_V2, single(true));
  // Java clients send batches with the V2 header too; tell them apart by which names are present.
  server.handle(RequestCode.SEND_BATCH_MESSAGE, (cmd, ctx) =>
    batch(cmd, ctx, cmd.extFields.b !== undefined && cmd.extFields.topic === undefined),
  );

  server.handle(RequestCode.RECALL_MESSAGE, async (cmd) => {
    const h = readHeader(cmd, { topic: "string", producerGroup: "string?", recallHandle: "string" });
    return ok(cmd, { msgId: await api.recallMessage(h.topic, h.recallHandle) });
  });

  server.handle(RequestCode.CONSUMER_SEND_MSG_BACK, async (cmd) => {
    const h = readHeader(cmd, {
      offset: "long",
      group: "string",
      delayLevel: "int",
      originMsgId: "string?",
      originTopic: "string?",
      unitMode: "bool?",
      maxReconsumeTimes: "int?",
    });
    await api.consumerSendMsgBack({
      consumerGroup: h.group,
      commitLogOffset: h.offset,
      delayLevel: h.delayLevel,
      ...(h.originMsgId !== undefined ? { originMsgId: h.originMsgId } : {}),
      ...(h.originTopic !== undefined ? { originTopic: h.originTopic } : {}),
      ...(h.maxReconsumeTimes !== undefined ? { maxReconsumeTimes: h.maxReconsumeTimes } : {}),
    });
    return ok(cmd);
  });
}
