import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import type { PullRequest, PullResult, PullStatus } from "./broker-api.ts";
import { concatBytes } from "./concat-bytes.ts";
import type { ConsumerOffsetTable } from "./consumer-offset.ts";
import { compileFilter, type MessageFilter } from "./filter/index.ts";
import type { LongPolling } from "./long-polling.ts";
import { checkReadable, type RoleState } from "./role-state.ts";
import type { GetMessageStatus, MessageExt, MessageStore } from "./store/index.ts";
import type { SubscriptionGroupConfig, SubscriptionGroupTable } from "./subscription-group.ts";
import { isReadable, type TopicConfig, type TopicConfigTable } from "./topic-config.ts";
import { validateGroup, validateTopic } from "./topic-validator.ts";

export interface ReadConfig {
  brokerName: string;
  autoCreateSubscriptionGroup: boolean;
  longPollingEnable: boolean;
  enablePropertyFilter: boolean;
}

export interface PullDeps {
  store: MessageStore;
  topics: TopicConfigTable;
  groups: SubscriptionGroupTable;
  offsets: ConsumerOffsetTable;
  roleState: RoleState;
  longPolling: LongPolling;
  clock: () => number;
  config: ReadConfig;
}

/** Checks shared by pull and pop: readable broker, known and enabled group, known and readable topic. */
export function checkConsumable(
  deps: Pick<PullDeps, "topics" | "groups" | "roleState" | "config">,
  consumerGroup: string,
  topic: string,
): { group: SubscriptionGroupConfig; topic: TopicConfig } {
  checkReadable(deps.roleState, deps.config.brokerName);
  validateGroup(consumerGroup);
  validateTopic(topic);
  const group = deps.groups.findOrCreate(consumerGroup, deps.config.autoCreateSubscriptionGroup);
  if (!group)
    throw new MqError(
      ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
      `subscription group [${consumerGroup}] does not exist`,
    );
  if (!group.consumeEnable)
    throw new MqError(ResponseCode.NO_PERMISSION, `subscription group no permission, ${consumerGroup}`);
  const tc = deps.topics.get(topic);
  if (!tc) throw new MqError(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist, apply first please!`);
  if (!isReadable(tc.perm))
    throw new MqError(ResponseCode.NO_PERMISSION, `the topic[${topic}] pulling message is forbidden`);
  return { group, topic: tc };
}

/** Compiles a subscription; SQL92 only when the broker allows property filters. */
export function filterOf(
  config: Pick<ReadConfig, "enablePropertyFilter">,
  filter: PullRequest["filter"],
): MessageFilter | undefined {
  if (!filter) return undefined;
  if (filter.expressionType === "SQL92" && !config.enablePropertyFilter)
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      "The broker does not support consumer to filter message by SQL92",
    );
  const compiled = compileFilter(filter);
  return compiled.expressionType === "TAG" && compiled.expression === "*" ? undefined : compiled;
}

/** GetMessageStatus -> what the consumer is told (PullMessageProcessor on a master). */
function statusOf(s: GetMessageStatus, requestedOffset: number): PullStatus {
  switch (s) {
    case "FOUND":
      return "FOUND";
    case "NO_MATCHED_MESSAGE":
    case "MESSAGE_WAS_REMOVING":
      return "NO_MATCHED_MSG";
    // A queue of a known topic that was never written is just empty (RocketMQ creates its ConsumeQueue on read).
    case "NO_MATCHED_LOGIC_QUEUE":
    case "NO_MESSAGE_IN_QUEUE":
      return requestedOffset !== 0 ? "OFFSET_ILLEGAL" : "NO_NEW_MSG";
    case "OFFSET_FOUND_NULL":
    case "OFFSET_OVERFLOW_ONE":
      return "NO_NEW_MSG";
    case "OFFSET_OVERFLOW_BADLY":
    case "OFFSET_TOO_SMALL":
      return "OFFSET_ILLEGAL";
  }
}

/**
 * PULL_MESSAGE semantics: read from a queue by offset with the subscription's filter; when nothing is new and
 * the request allows it, hold it until a message is dispatched to the queue or `suspendTimeoutMs` passes.
 */
export async function pullMessages(deps: PullDeps, req: PullRequest): Promise<PullResult> {
  const { topic: tc } = checkConsumable(deps, req.consumerGroup, req.topic);
  if (!Number.isInteger(req.queueId) || req.queueId < 0 || req.queueId >= tc.readQueueNums)
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `queueId[${req.queueId}] is illegal, topic:[${req.topic}] topicConfig.readQueueNums:[${tc.readQueueNums}]`,
    );
  if (!Number.isInteger(req.queueOffset) || req.queueOffset < 0)
    throw new MqError(ResponseCode.INVALID_PARAMETER, `queueOffset[${req.queueOffset}] is illegal`);
  if (!Number.isInteger(req.maxMsgNums) || req.maxMsgNums < 1)
    throw new MqError(ResponseCode.INVALID_PARAMETER, `maxMsgNums[${req.maxMsgNums}] is illegal`);
  const filter = filterOf(deps.config, req.filter);
  if (req.commitOffset !== undefined && req.commitOffset >= 0 && deps.roleState.role !== "SLAVE")
    deps.offsets.commit(req.consumerGroup, req.topic, req.queueId, req.commitOffset);

  const targets = [{ topic: req.topic, queueId: req.queueId }];
  const deadline =
    deps.clock() + (deps.config.longPollingEnable ? Math.max(0, req.suspendTimeoutMs ?? 0) : 0);
  const read = req.bodyOnly && filter?.expressionType !== "SQL92" ? readBody : readMessages;
  for (;;) {
    const seen = deps.longPolling.version(targets);
    const r = read(deps.store, req, filter);
    const status = statusOf(r.status, req.queueOffset);
    const remaining = deadline - deps.clock();
    if (status === "NO_NEW_MSG" && remaining > 0 && !req.signal?.aborted) {
      const woke = await deps.longPolling.wait(targets, remaining, seen, req.signal);
      if (woke === "arrived") continue;
    }
    const found = status === "FOUND";
    return {
      status,
      nextBeginOffset: r.nextBeginOffset,
      minOffset: r.minOffset,
      maxOffset: r.maxOffset,
      messages: found ? r.messages : [],
      ...(found && r.body ? { body: r.body } : {}),
    };
  }
}

interface ReadResult {
  status: GetMessageStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  messages: MessageExt[];
  body?: Uint8Array;
}

function getRequest(req: PullRequest) {
  return {
    topic: req.topic,
    queueId: req.queueId,
    queueOffset: req.queueOffset,
    maxCount: Math.min(req.maxMsgNums, 1024),
    ...(req.maxMsgBytes !== undefined && req.maxMsgBytes > 0 ? { maxBytes: req.maxMsgBytes } : {}),
  };
}

/** Decoded messages; with bodyOnly (an SQL92 filter, which reads properties) also their records as the body. */
function readMessages(store: MessageStore, req: PullRequest, filter: MessageFilter | undefined): ReadResult {
  const r = store.getMessages({
    ...getRequest(req),
    ...(filter
      ? {
          tagsCodeFilter: (code: number) => filter.matchesTagsCode(code),
          messageFilter: (m: { properties: Record<string, string> }) => filter.matches(m.properties),
        }
      : {}),
  });
  if (!req.bodyOnly) return r;
  return { ...r, messages: [], body: concatBytes(r.messages.map((m) => m.raw)) };
}

/** The records' bytes, copied without decoding: no filter, or a TAG filter (tag hash, then the tag itself). */
function readBody(store: MessageStore, req: PullRequest, filter: MessageFilter | undefined): ReadResult {
  const r = store.getRawMessages({
    ...getRequest(req),
    ...(filter
      ? {
          tagsCodeFilter: (code: number) => filter.matchesTagsCode(code),
          tagFilter: (tags: string | undefined) => filter.matches(tags === undefined ? {} : { TAGS: tags }),
        }
      : {}),
  });
  return { ...r, messages: [] };
}
