import type { MessageExt } from "../../proto/message/index.ts";

/** A message to store. Only topic, queueId and body are required. */
export interface MessageInput {
  topic: string;
  queueId: number;
  body: Uint8Array;
  /** User flag (int32). Default 0. */
  flag?: number;
  /** Default {}. UNIQ_KEY is added when missing. */
  properties?: Readonly<Record<string, string>>;
  /**
   * The properties as encoded on the wire (`name\u0001value\u0002`...), stored byte for byte when well formed
   * (scanEncodedProperties) instead of encoding `properties`; `properties`, if given, must be this string decoded
   * (it is what dispatch and tagsCodeOf see). A string that is not well formed is decoded and stored as before.
   */
  encodedProperties?: string;
  /** Default: the store clock. */
  bornTimestamp?: number;
  /** "ip:port"; default "127.0.0.1:0". */
  bornHost?: string;
  reconsumeTimes?: number;
  /** MessageSysFlag bits; the host V6 bits are set by the store. */
  sysFlag?: number;
  preparedTransactionOffset?: number;
}

export interface PutResult {
  commitLogOffset: number;
  /** Offset in the topic/queue's ConsumeQueue; 0 for PREPARED and ROLLBACK transaction records (not queued). */
  queueOffset: number;
  /** Offset message id (store host + commitLogOffset). */
  msgId: string;
  /** The UNIQ_KEY property, generated when the input had none. */
  uniqKey: string;
  wroteBytes: number;
  storeTimestamp: number;
}

/** RocketMQ's GetMessageStatus. */
export type GetMessageStatus =
  | "FOUND"
  | "NO_MATCHED_MESSAGE"
  | "MESSAGE_WAS_REMOVING"
  | "OFFSET_FOUND_NULL"
  | "OFFSET_OVERFLOW_BADLY"
  | "OFFSET_OVERFLOW_ONE"
  | "OFFSET_TOO_SMALL"
  | "NO_MATCHED_LOGIC_QUEUE"
  | "NO_MESSAGE_IN_QUEUE";

export interface GetMessagesRequest {
  topic: string;
  queueId: number;
  queueOffset: number;
  maxCount: number;
  /** Stop before exceeding this many record bytes (at least one message is returned). Default 256 KiB. */
  maxBytes?: number;
  /** Cheap pre-filter on the ConsumeQueue unit's tagsCode, before the record is read. */
  tagsCodeFilter?: (tagsCode: number) => boolean;
  /** Filter on the decoded message (tags, SQL92 on properties). */
  messageFilter?: (m: MessageExt) => boolean;
}

export interface GetMessageResult {
  status: GetMessageStatus;
  messages: MessageExt[];
  /** Where the next pull should start. */
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
}

/** What onDispatch listeners get for every record once it is in its ConsumeQueue and index. */
export interface DispatchRequest {
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  size: number;
  tagsCode: number;
  storeTimestamp: number;
  bornTimestamp: number;
  sysFlag: number;
  preparedTransactionOffset: number;
  properties: Readonly<Record<string, string>>;
  uniqKey: string | undefined;
  keys: string | undefined;
  /** False for PREPARED and ROLLBACK transaction records, which get no ConsumeQueue unit. */
  consumeQueued: boolean;
}

export interface AppendRawResult {
  records: number;
  /** Physical offset right after the appended bytes. */
  nextPhysicalOffset: number;
}

export interface CleanResult {
  deletedCommitLogFiles: number;
  minPhysicalOffset: number;
}
