/**
 * The proxy's reading of a recall handle. The handle is the broker's, passed to the client untouched, as
 * RocketMQ 5.3 does (RecallMessageHandle.HandleV1): base64url of `v1 topic brokerName deliverAtMs messageId`,
 * with or without `=` padding. It names the broker that parked the timer message, so any proxy can route a
 * RecallMessage to it with no session state; the broker itself decides whether the message is still recallable.
 */
export interface RecallHandleInfo {
  topic: string;
  brokerName: string;
  deliverAtMs: number;
  messageId: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const BROKER_NAME = /^[A-Za-z0-9_.:%|-]{1,255}$/;
const INTEGER = /^\d{1,16}$/;

/** Parses a handle; undefined when it is not one a broker could have issued. */
export function readRecallHandle(handle: string): RecallHandleInfo | undefined {
  if (handle.length === 0 || handle.length > 2048 || !BASE64URL.test(handle)) return undefined;
  const parts = Buffer.from(handle, "base64url").toString("utf8").split(" ");
  if (parts.length !== 5 || parts[0] !== "v1") return undefined;
  const [, topic, brokerName, deliverAt, messageId] = parts;
  if (topic === "" || messageId === "" || !BROKER_NAME.test(brokerName) || !INTEGER.test(deliverAt))
    return undefined;
  return { topic, brokerName, deliverAtMs: Number(deliverAt), messageId };
}
