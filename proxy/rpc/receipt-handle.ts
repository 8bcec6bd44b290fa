/**
 * The proxy's reading of a receipt handle. The handle is the broker's pop checkpoint string, passed to the client
 * untouched (`startOffset popTime invisibleTime reviveQid topicType brokerName queueId queueOffset
 * [commitLogOffset]`, as RocketMQ's ExtraInfoUtil writes it). It already carries everything an ack needs,
 * broker name included, so any proxy can ack any handle with no session state. The proxy only reads it to route
 * the ack to the right broker and to refuse malformed or expired handles before they travel.
 */
export interface ReceiptHandleInfo {
  brokerName: string;
  queueId: number;
  queueOffset: number;
  popTime: number;
  invisibleTime: number;
  /** When the message becomes visible again (popTime + invisibleTime). */
  nextVisibleTime: number;
}

const INTEGER = /^\d{1,16}$/;
const BROKER_NAME = /^[A-Za-z0-9_.:%|-]{1,255}$/;

/** Parses a handle; undefined when it is not one the brokers could have issued. */
export function readReceiptHandle(handle: string): ReceiptHandleInfo | undefined {
  if (handle.length === 0 || handle.length > 1024) return undefined;
  const parts = handle.split(" ");
  if (parts.length < 8 || parts.length > 9) return undefined;
  const numeric = [0, 1, 2, 3, 6, 7, ...(parts.length === 9 ? [8] : [])];
  if (!numeric.every((i) => INTEGER.test(parts[i]))) return undefined;
  if (parts[4] !== "0" && parts[4] !== "1") return undefined;
  if (!BROKER_NAME.test(parts[5])) return undefined;
  const popTime = Number(parts[1]);
  const invisibleTime = Number(parts[2]);
  const startOffset = Number(parts[0]);
  const queueOffset = Number(parts[7]);
  if (queueOffset < startOffset) return undefined;
  return {
    brokerName: parts[5],
    queueId: Number(parts[6]),
    queueOffset,
    popTime,
    invisibleTime,
    nextVisibleTime: popTime + invisibleTime,
  };
}
