import { MqError } from "../../proto/error.ts";
import {
  createEncodedPropertiesScan,
  decodeMessageProperties,
  END_FILE_MIN_BLANK_LENGTH,
  emptyMessageRecordHead,
  encodedSourceOf,
  encodeMessageRecordHead,
  MAX_PROPERTIES_BYTES,
  MessageConst,
  measureMessageProperties,
  messageRecordSize,
  parseSocketAddress,
  type SocketAddress,
  scanEncodedProperties,
  tagsStringToTagsCode,
  type UniqKeyGenerator,
  writeMessageProperties,
} from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { AppendedMessage } from "./appended-message.ts";
import type { CommitLog } from "./commit-log.ts";
import { isConsumeQueued } from "./dispatch-request.ts";
import { positiveKeyHash } from "./index-file.ts";
import { defaultMessageStoreOptions, type MessageStoreOptions } from "./options.ts";
import type { TopicTable } from "./topic-table.ts";
import type { MessageInput } from "./types.ts";

const UNIQ_KEY = MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX;
/** "UNIQ_KEY\u0001", written before a generated id. */
const UNIQ_KEY_NAME = new TextEncoder().encode(`${UNIQ_KEY}\u0001`);
const DEFAULT_BORN_HOST = "127.0.0.1:0";

export interface MessageEncoderOptions {
  storeHost: SocketAddress;
  maxMessageSize: number;
  commitLogSegmentSize: number;
  tagsCodeOf: MessageStoreOptions["tagsCodeOf"];
  /** Offset message ids for PutResult.msgId (made when read). */
  msgIdOf: (commitLogOffset: number) => string;
  uniqKeys: UniqKeyGenerator;
  topics: TopicTable;
}

/** Validates puts and encodes them straight into the CommitLog's append buffer. */
export interface MessageEncoder {
  /**
   * Validates one input and sizes its record; throws MqError(MESSAGE_ILLEGAL) and changes nothing. `now` (the
   * store clock, read once per put call) is the default born timestamp.
   */
  check(m: MessageInput, now: number): AppendedMessage;
  /**
   * Appends a checked message: generates its UNIQ_KEY when it has none, takes the next queue offset, and encodes
   * the record where the CommitLog reserved room for it, with `now` as its store timestamp.
   */
  append(m: AppendedMessage, commitLog: CommitLog, now: number): void;
}

/**
 * The writer's encoder. Per message it allocates only the AppendedMessage: topic bytes, born hosts and the UNIQ_KEY
 * head are cached, properties are written as UTF-8 in place, and the index hash of a generated UNIQ_KEY is derived
 * from the generator's instead of hashing the string again.
 */
export function createMessageEncoder(o: MessageEncoderOptions): MessageEncoder {
  const { topics, uniqKeys, storeHost } = o;
  const defaultTags = o.tagsCodeOf === defaultMessageStoreOptions.tagsCodeOf;
  const uniqEntryLength = UNIQ_KEY_NAME.length + uniqKeys.length + 1;
  let pow31 = 1; // 31^(id length) mod 2^32: hashCode(prefix + id) = hashCode(prefix) * pow31 + hashCode(id)
  for (let i = 0; i < uniqKeys.length; i++) pow31 = Math.imul(pow31, 31);
  const bornHosts = new Map<string, SocketAddress>();
  const scan = createEncodedPropertiesScan();
  // Buffer.write encodes a string natively; the CommitLog's append buffers rotate, so the view follows them.
  let textTarget: Uint8Array = new Uint8Array(0);
  let textBuffer: Buffer = Buffer.alloc(0);
  const head = emptyMessageRecordHead(storeHost);

  // Most puts carry no born host, or the same one as the put before: those skip the Map.
  const defaultBornHost = parseSocketAddress(DEFAULT_BORN_HOST);
  let lastBornText = DEFAULT_BORN_HOST;
  let lastBornHost = defaultBornHost;
  const bornHostOf = (text: string | undefined): SocketAddress => {
    if (text === undefined) return defaultBornHost;
    if (text === lastBornText) return lastBornHost;
    let addr = bornHosts.get(text);
    if (!addr) {
      addr = parseSocketAddress(text);
      if (bornHosts.size >= 4096) bornHosts.clear();
      bornHosts.set(text, addr);
    }
    lastBornText = text;
    lastBornHost = addr;
    return addr;
  };

  return {
    check(input, now) {
      if (typeof input !== "object" || input === null) throw illegal("message must be an object");
      const entry = topics.entry(input.topic);
      const queueId = input.queueId;
      if (!isInt32(queueId) || queueId < 0) throw illegal(`queueId ${queueId} must be a non-negative int32`);
      const body = input.body;
      if (!(body instanceof Uint8Array)) throw illegal("body must be a Uint8Array");
      if (body.length > o.maxMessageSize) {
        throw illegal(`body of ${body.length} bytes exceeds maxMessageSize ${o.maxMessageSize}`);
      }
      const flag = input.flag ?? 0;
      const sysFlag = input.sysFlag ?? 0;
      const reconsumeTimes = input.reconsumeTimes ?? 0;
      if (!isInt32(flag) || !isInt32(sysFlag) || !isInt32(reconsumeTimes)) {
        throw illegal("flag, sysFlag and reconsumeTimes must be int32");
      }
      const preparedTransactionOffset = input.preparedTransactionOffset ?? 0;
      const bornTimestamp = input.bornTimestamp ?? now;
      if (!Number.isSafeInteger(preparedTransactionOffset) || !Number.isSafeInteger(bornTimestamp)) {
        throw illegal("bornTimestamp and preparedTransactionOffset must be safe integers");
      }
      let props = input.properties;
      let uniqKey = "";
      let keys: string | undefined;
      let tags: string | undefined;
      let propertiesLength = 0;
      let encoded: string | null = null;
      if (typeof input.encodedProperties === "string") {
        // A string decoded by decodeMessagePropertiesKeepingSource was scanned then: its findings come along.
        const known = encodedSourceOf(props);
        const found = known !== undefined && known.source === input.encodedProperties ? known : scan;
        if (found === known || scanEncodedProperties(input.encodedProperties, scan)) {
          encoded = input.encodedProperties;
          propertiesLength = found.byteLength;
          uniqKey = found.uniqKey ?? "";
          keys = found.keys;
          tags = found.tags;
        } else {
          props = decodeMessageProperties(input.encodedProperties);
        }
      }
      if (encoded === null && props !== undefined && props !== null) {
        const given = props[UNIQ_KEY];
        if (given) uniqKey = given; // an empty one is replaced, as the Java broker's client would
        propertiesLength = measureMessageProperties(props, uniqKey ? null : UNIQ_KEY);
        const k = props[MessageConst.PROPERTY_KEYS];
        if (typeof k === "string") keys = k;
        tags = props[MessageConst.PROPERTY_TAGS];
      }
      if (!uniqKey) propertiesLength += uniqEntryLength;
      if (propertiesLength > MAX_PROPERTIES_BYTES) {
        throw illegal(`properties take ${propertiesLength} bytes, more than ${MAX_PROPERTIES_BYTES}`);
      }
      const bornHost = bornHostOf(input.bornHost);
      const size = messageRecordSize(
        body.length,
        entry.bytes.length,
        propertiesLength,
        bornHost.ip.length,
        storeHost.ip.length,
      );
      if (size + END_FILE_MIN_BLANK_LENGTH > o.commitLogSegmentSize) {
        throw illegal(
          `a record of ${size} bytes does not fit in a CommitLog segment of ${o.commitLogSegmentSize}`,
        );
      }
      const m = new AppendedMessage(o.msgIdOf, props, encoded);
      m.topic = entry.topic;
      m.queueId = queueId;
      m.size = size;
      m.bornTimestamp = bornTimestamp;
      m.sysFlag = sysFlag;
      m.preparedTransactionOffset = preparedTransactionOffset;
      m.flag = flag;
      m.reconsumeTimes = reconsumeTimes;
      m.uniqKey = uniqKey;
      m.uniqKeyGiven = uniqKey !== "";
      m.keys = keys;
      m.tags = tags;
      m.consumeQueued = isConsumeQueued(sysFlag);
      m.propertiesLength = propertiesLength;
      m.body = body;
      m.bornHost = bornHost;
      m.entry = entry;
      m.queue = topics.queue(entry, queueId);
      return m;
    },

    append(m, commitLog, now) {
      const size = m.size;
      const at = commitLog.reserve(size);
      const buf = commitLog.buffer;
      // Properties end the record: write them first, so that a size mismatch stops before anything is counted.
      const props = m.inputProperties;
      let p = at + size - m.propertiesLength;
      const encoded = m.encodedProperties;
      if (encoded !== null) {
        if (buf !== textTarget) {
          textTarget = buf;
          textBuffer = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
        }
        p += textBuffer.write(encoded, p, "utf8");
      } else if (props !== undefined && props !== null) {
        p = writeMessageProperties(props, m.uniqKeyGiven ? null : UNIQ_KEY, buf, p);
      }
      if (!m.uniqKeyGiven) {
        for (let i = 0; i < UNIQ_KEY_NAME.length; i++) buf[p + i] = UNIQ_KEY_NAME[i]!;
        p += UNIQ_KEY_NAME.length;
        m.uniqKeyCounter = uniqKeys.nextInto(commitLog.bufferView, p, now);
        m.uniqKeyHead = uniqKeys.lastHead();
        m.uniqKeyHash = positiveKeyHash(
          (Math.imul(m.entry!.indexHashPrefix, pow31) + uniqKeys.lastHashCode()) | 0,
        );
        p += uniqKeys.length;
        buf[p++] = 2;
      }
      if (p !== at + size) {
        throw new MqError(
          ResponseCode.SYSTEM_ERROR,
          "a message's properties changed while it was being stored",
        );
      }
      const storeTimestamp = now;
      m.storeTimestamp = storeTimestamp;
      m.tagsCode = defaultTags
        ? tagsStringToTagsCode(m.tags)
        : o.tagsCodeOf(m.topic, m.properties, storeTimestamp);
      m.commitLogOffset = commitLog.nextOffset;
      m.queueOffset = m.consumeQueued ? m.queue!.nextOffset++ : 0;
      head.topic = m.entry!.bytes;
      head.queueId = m.queueId;
      head.flag = m.flag;
      head.queueOffset = m.queueOffset;
      head.commitLogOffset = m.commitLogOffset;
      head.sysFlag = m.sysFlag;
      head.bornTimestamp = m.bornTimestamp;
      head.bornHost = m.bornHost!;
      head.storeTimestamp = storeTimestamp;
      head.reconsumeTimes = m.reconsumeTimes;
      head.preparedTransactionOffset = m.preparedTransactionOffset;
      head.body = m.body!;
      encodeMessageRecordHead(buf, commitLog.bufferView, at, head, m.propertiesLength);
      commitLog.commit(size, storeTimestamp);
    },
  };
}

function isInt32(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= -2147483648 && n <= 2147483647;
}

function illegal(message: string): MqError {
  return new MqError(ResponseCode.MESSAGE_ILLEGAL, message);
}
