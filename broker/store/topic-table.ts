import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { ConsumeQueue } from "./consume-queue.ts";
import { indexKeyHashPrefix } from "./index-file.ts";

/** RocketMQ's TopicValidator charset; it also keeps topic names safe as directory names. */
const TOPIC_PATTERN = /^[%|a-zA-Z0-9_-]+$/;
export const MAX_TOPIC_LENGTH = 255;

/** The writer's state of one queue: the next queue offset, and its ConsumeQueue once dispatch looked it up. */
export interface QueueEntry {
  nextOffset: number;
  cq: ConsumeQueue | null;
}

/** What the writer keeps per topic, so that a put looks it up once instead of re-validating and re-encoding. */
export interface TopicEntry {
  readonly topic: string;
  /** The name in UTF-8, as records store it. */
  readonly bytes: Uint8Array;
  /** Hash state of `${topic}#` for index keys (indexKeyHashPrefix). */
  readonly indexHashPrefix: number;
  /** By queueId. */
  readonly queues: QueueEntry[];
  /** The name passed the topic check (an entry made by recovery for a queue found on disk may not have). */
  valid: boolean;
}

export interface TopicTable {
  /** The entry of a valid topic name (created on first use); throws MqError(MESSAGE_ILLEGAL) for a bad name. */
  entry(topic: string): TopicEntry;
  /** The entry of a topic found in stored data (recovery, replication), made without the name check. */
  lookup(topic: string): TopicEntry;
  queue(entry: TopicEntry, queueId: number): QueueEntry;
  /** Raises the next queue offset to at least `next` (recovery, replication). */
  raiseQueueOffset(topic: string, queueId: number, next: number): void;
  /** Forgets a deleted topic: its queues restart at 0 and their ConsumeQueues are looked up again. */
  delete(topic: string): void;
}

/** The writer's per-topic table (queue offsets live here, so it is never trimmed; it has one entry per topic). */
export function createTopicTable(): TopicTable {
  const topics = new Map<string, TopicEntry>();
  const find = (topic: string): TopicEntry => {
    let e = topics.get(topic);
    if (!e) {
      e = {
        topic,
        bytes: new TextEncoder().encode(topic),
        indexHashPrefix: indexKeyHashPrefix(topic),
        queues: [],
        valid: false,
      };
      topics.set(topic, e);
    }
    return e;
  };
  // The last topic put: a batch (or a busy producer) names the same topic again and again, and `===` on the same
  // string is cheaper than a Map lookup. Cleared when a topic is deleted.
  let lastTopic: string | null = null;
  let lastEntry: TopicEntry | null = null;
  const entry = (topic: string): TopicEntry => {
    if (topic === lastTopic) return lastEntry!;
    const known = topics.get(topic);
    if (known?.valid) {
      lastTopic = topic;
      lastEntry = known;
      return known;
    }
    if (typeof topic !== "string" || topic.length > MAX_TOPIC_LENGTH || !TOPIC_PATTERN.test(topic)) {
      throw new MqError(
        ResponseCode.MESSAGE_ILLEGAL,
        `topic ${JSON.stringify(topic)} must match ${TOPIC_PATTERN} and be at most 255 chars`,
      );
    }
    const e = find(topic);
    e.valid = true;
    lastTopic = topic;
    lastEntry = e;
    return e;
  };
  const queue = (e: TopicEntry, queueId: number): QueueEntry => {
    let q = e.queues[queueId];
    if (!q) {
      q = { nextOffset: 0, cq: null };
      e.queues[queueId] = q;
    }
    return q;
  };
  return {
    entry,
    lookup: find,
    queue,
    raiseQueueOffset(topic, queueId, next) {
      const q = queue(find(topic), queueId);
      if (q.nextOffset < next) q.nextOffset = next;
    },
    delete(topic) {
      lastTopic = lastEntry = null;
      const e = topics.get(topic);
      if (!e) return;
      for (const q of e.queues) if (q) q.cq = null; // records still pending look their queue up again
      topics.delete(topic);
    },
  };
}
