import { MqError } from "../proto/error.ts";
import { bodyReader, parseLenientJson } from "../proto/remoting/index.ts";
import { ResponseCode } from "../proto/response-code.ts";

/*
 * Broker admin bodies keyed by MessageQueue (TopicStatsTable, ConsumeStats). fastjson writes a
 * Map<MessageQueue, V> with JSON objects as keys, `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{...}}}`,
 * which is not JSON: the reader first turns each object key into a string key, then parses.
 */

export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

export interface TopicOffset extends MessageQueue {
  minOffset: number;
  maxOffset: number;
  /** Store time of the newest message, 0 when the queue is empty. */
  lastUpdateTimestamp: number;
}

export interface TopicStatsTable {
  offsetTable: TopicOffset[];
  topicPutTps: number;
}

export interface OffsetWrapper extends MessageQueue {
  brokerOffset: number;
  consumerOffset: number;
  pullOffset: number;
  lastTimestamp: number;
}

export interface ConsumeStats {
  offsetTable: OffsetWrapper[];
  consumeTps: number;
}

/** End index (inclusive) of the JSON object starting at text[start] === "{", skipping string contents. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    } else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return i;
  }
  return -1;
}

/** Rewrites object-valued map keys as string keys: `{{"a":1}:2}` -> `{"{\"a\":1}":2}`. */
export function quoteObjectKeys(text: string): string {
  let out = "";
  const stack: string[] = [];
  let expectKey = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      expectKey = false;
      continue;
    }
    if (ch === "{" && expectKey) {
      const end = objectEnd(text, i);
      if (end < 0) return out + text.slice(i); // unbalanced: let JSON.parse report it
      out += JSON.stringify(text.slice(i, end + 1));
      i = end + 1;
      expectKey = false;
      continue;
    }
    if (ch === "{" || ch === "[") {
      stack.push(ch);
      expectKey = ch === "{";
    } else if (ch === "}" || ch === "]") {
      stack.pop();
      expectKey = false;
    } else if (ch === ",") {
      expectKey = stack[stack.length - 1] === "{";
    } else if (!/\s/.test(ch)) {
      expectKey = false;
    }
    out += ch;
    i++;
  }
  return out;
}

const utf8 = new TextDecoder();

/** The entries of a MessageQueue-keyed map body field, each key decoded to a MessageQueue. */
function readQueueMap(body: Uint8Array | undefined, what: string) {
  if (!body || body.length === 0)
    throw new MqError(ResponseCode.INVALID_PARAMETER, `${what} body is missing`);
  const r = bodyReader(what);
  const root = r.object(parseLenientJson(quoteObjectKeys(utf8.decode(body)), `${what} body`), "$");
  const table = r.object(root.offsetTable, "offsetTable", {});
  const entries = Object.entries(table).map(([key, value]) => {
    const path = `offsetTable[${key}]`;
    const k = r.object(parseLenientJson(key, `${what} key ${key}`), `${path} key`);
    const mq: MessageQueue = {
      topic: r.string(k.topic, `${path} key.topic`),
      brokerName: r.string(k.brokerName, `${path} key.brokerName`),
      queueId: r.number(k.queueId, `${path} key.queueId`),
    };
    return { mq, value: r.object(value, path), path };
  });
  return { r, root, entries };
}

function compareQueues(a: MessageQueue, b: MessageQueue): number {
  return a.topic.localeCompare(b.topic) || a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId;
}

/** GET_TOPIC_STATS_INFO response body, entries sorted by topic, brokerName, queueId (as MessageQueue sorts). */
export function decodeTopicStatsTable(body: Uint8Array | undefined): TopicStatsTable {
  const { r, root, entries } = readQueueMap(body, "TopicStatsTable");
  return {
    offsetTable: entries
      .map(({ mq, value, path }) => ({
        ...mq,
        minOffset: r.number(value.minOffset, `${path}.minOffset`, 0),
        maxOffset: r.number(value.maxOffset, `${path}.maxOffset`, 0),
        lastUpdateTimestamp: r.number(value.lastUpdateTimestamp, `${path}.lastUpdateTimestamp`, 0),
      }))
      .sort(compareQueues),
    topicPutTps: r.number(root.topicPutTps, "topicPutTps", 0),
  };
}

/** GET_CONSUME_STATS response body, entries sorted by topic, brokerName, queueId. */
export function decodeConsumeStats(body: Uint8Array | undefined): ConsumeStats {
  const { r, root, entries } = readQueueMap(body, "ConsumeStats");
  return {
    offsetTable: entries
      .map(({ mq, value, path }) => {
        const consumerOffset = r.number(value.consumerOffset, `${path}.consumerOffset`, 0);
        return {
          ...mq,
          brokerOffset: r.number(value.brokerOffset, `${path}.brokerOffset`, 0),
          consumerOffset,
          pullOffset: r.number(value.pullOffset, `${path}.pullOffset`, consumerOffset),
          lastTimestamp: r.number(value.lastTimestamp, `${path}.lastTimestamp`, 0),
        };
      })
      .sort(compareQueues),
    consumeTps: r.number(root.consumeTps, "consumeTps", 0),
  };
}
