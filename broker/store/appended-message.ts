import type { MqError } from "../../proto/error.ts";
import {
  decodeMessageProperties,
  MessageConst,
  type SocketAddress,
  uniqKeyText,
} from "../../proto/message/index.ts";
import type { QueueEntry, TopicEntry } from "./topic-table.ts";
import type { DispatchRequest, PutResult } from "./types.ts";

const UNIQ_KEY = MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX;
const NO_PROPERTIES: Readonly<Record<string, string>> = Object.freeze({});

/**
 * One message on its way through the writer, and afterwards: the encoder fills it from the input, the CommitLog
 * append sets its offsets, dispatch reads it (it is the DispatchRequest listeners get) and it is the put's
 * PutResult. One object per message; the offset msgId and the properties object are only built when asked for.
 */
export class AppendedMessage implements PutResult, DispatchRequest {
  topic = "";
  queueId = 0;
  queueOffset = 0;
  commitLogOffset = 0;
  size = 0;
  tagsCode = 0;
  storeTimestamp = 0;
  bornTimestamp = 0;
  sysFlag = 0;
  preparedTransactionOffset = 0;
  flag = 0;
  reconsumeTimes = 0;
  /** A generated UNIQ_KEY: its head and counter (uniqKeyText); its string is made when asked for. */
  uniqKeyHead = "";
  uniqKeyCounter = 0;
  /** Its indexKeyHash when the encoder computed it, else -1. */
  uniqKeyHash = -1;
  keys: string | undefined = undefined;
  consumeQueued = true;
  /** The input carried a UNIQ_KEY (kept as is); otherwise one is generated and appended to the properties. */
  uniqKeyGiven = false;
  propertiesLength = 0;
  body: Uint8Array | null = null;
  bornHost: SocketAddress | null = null;
  entry: TopicEntry | null = null;
  queue: QueueEntry | null = null;
  /** The put's promise callbacks, on its last message only. */
  resolve: ((value: unknown) => void) | null = null;
  reject: ((err: MqError) => void) | null = null;
  /** What the put resolves with (this message, or the batch's array). */
  value: unknown = null;
  /** Records from replication carry no completion of their own and are only dispatched when this is true. */
  dispatchable = true;
  /** The input's properties object (the encoder writes the record from it unless encodedProperties is set). */
  readonly inputProperties: Readonly<Record<string, string>> | undefined;
  /** The input's encoded properties, when they are stored as they came (the input's object, if any, is them decoded). */
  readonly encodedProperties: string | null;
  /** The TAGS property (the default tagsCodeOf's input). */
  tags: string | undefined = undefined;
  private readonly msgIdOf: ((offset: number) => string) | null;
  private key = "";
  private props: Readonly<Record<string, string>> | null = null;

  constructor(
    msgIdOf: ((offset: number) => string) | null,
    inputProperties: Readonly<Record<string, string>> | undefined,
    encodedProperties: string | null,
  ) {
    this.msgIdOf = msgIdOf;
    this.inputProperties = inputProperties;
    this.encodedProperties = encodedProperties;
  }

  /** A record decoded from replicated bytes (appendRaw): dispatched like a local one, never a PutResult. */
  static fromDispatchRequest(req: DispatchRequest): AppendedMessage {
    const m = new AppendedMessage(null, undefined, null);
    m.topic = req.topic;
    m.queueId = req.queueId;
    m.queueOffset = req.queueOffset;
    m.commitLogOffset = req.commitLogOffset;
    m.size = req.size;
    m.tagsCode = req.tagsCode;
    m.storeTimestamp = req.storeTimestamp;
    m.bornTimestamp = req.bornTimestamp;
    m.sysFlag = req.sysFlag;
    m.preparedTransactionOffset = req.preparedTransactionOffset;
    m.uniqKey = req.uniqKey ?? "";
    m.uniqKeyGiven = true;
    m.keys = req.keys;
    m.consumeQueued = req.consumeQueued;
    m.props = req.properties;
    return m;
  }

  /** The UNIQ_KEY: the input's, or the one generated when the record was encoded. */
  get uniqKey(): string {
    if (this.key === "" && this.uniqKeyHead !== "")
      this.key = uniqKeyText(this.uniqKeyHead, this.uniqKeyCounter);
    return this.key;
  }

  set uniqKey(key: string) {
    this.key = key;
  }

  /** Offset message id (store host + commitLogOffset), made on first use. */
  get msgId(): string {
    return this.msgIdOf ? this.msgIdOf(this.commitLogOffset) : "";
  }

  get wroteBytes(): number {
    return this.size;
  }

  /** The input's properties with the UNIQ_KEY the record carries, made on first use. */
  get properties(): Readonly<Record<string, string>> {
    if (this.props) return this.props;
    let input = this.inputProperties;
    if (this.encodedProperties !== null) {
      // The input's object is the stored string decoded: with its own UNIQ_KEY it needs no copy.
      if (input !== undefined && input !== null && this.uniqKeyGiven) {
        this.props = input;
        return input;
      }
      input ??= decodeMessageProperties(this.encodedProperties);
    }
    input ??= NO_PROPERTIES;
    const out: Record<string, string> = {};
    for (const name in input) {
      const value = input[name];
      if (value !== undefined && value !== null) out[name] = value;
    }
    if (this.uniqKey) out[UNIQ_KEY] = this.uniqKey;
    this.props = out;
    return out;
  }
}
