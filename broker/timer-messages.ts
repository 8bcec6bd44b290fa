import { MqError } from "../proto/error.ts";
import { MessageConst } from "../proto/message/index.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { reputInput } from "./retry.ts";
import type { MessageStore } from "./store/index.ts";
import type { TimerStore } from "./timer/index.ts";

const INTEGER = /^-?\d{1,16}$/;

/** Aliyun ONS's absolute delivery time (ms), what ali-ons `Message.setStartDeliverTime()` sets. */
export const PROPERTY_START_DELIVER_TIME = "__STARTDELIVERTIME";

function illegal(why: string): MqError {
  return new MqError(ResponseCode.MESSAGE_ILLEGAL, `timer message illegal: ${why}`);
}

/**
 * The delivery time a RocketMQ 5 timer message asks for: TIMER_DELIVER_MS or __STARTDELIVERTIME (absolute),
 * TIMER_DELAY_SEC or TIMER_DELAY_MS (relative to `now`); undefined for an ordinary message. Malformed values are
 * MESSAGE_ILLEGAL.
 */
export function timerDeliverAt(
  properties: Readonly<Record<string, string>>,
  now: number,
): number | undefined {
  const read = (name: string) => {
    const raw = properties[name];
    if (raw === undefined) return undefined;
    if (!INTEGER.test(raw.trim())) throw illegal(`${name}=${raw} is not an integer`);
    return Number(raw.trim());
  };
  const deliverMs = read(MessageConst.PROPERTY_TIMER_DELIVER_MS) ?? read(PROPERTY_START_DELIVER_TIME);
  if (deliverMs !== undefined) return deliverMs;
  const delaySec = read(MessageConst.PROPERTY_TIMER_DELAY_SEC);
  if (delaySec !== undefined) {
    if (delaySec < 0) throw illegal(`${MessageConst.PROPERTY_TIMER_DELAY_SEC} is negative`);
    return now + delaySec * 1000;
  }
  const delayMs = read(MessageConst.PROPERTY_TIMER_DELAY_MS);
  if (delayMs !== undefined) {
    if (delayMs < 0) throw illegal(`${MessageConst.PROPERTY_TIMER_DELAY_MS} is negative`);
    return now + delayMs;
  }
  return undefined;
}

/**
 * Hands due timer messages back to their topic: the copy parked under rmq_sys_wheel_timer is re-put to its
 * REAL_TOPIC / REAL_QID. The timer store records the batch as delivered once this resolves (at-least-once).
 */
export function deliverTimerMessages(
  timer: TimerStore,
  store: MessageStore,
  clock: () => number,
  onError: (err: unknown) => void,
): void {
  timer.onDue(async (entries) => {
    for (const e of entries) {
      const m = store.lookMessageByOffset(e.commitLogOffset, e.size);
      if (!m) continue; // removed by retention: nothing left to deliver
      const properties = { ...m.properties };
      const realTopic = properties[MessageConst.PROPERTY_REAL_TOPIC];
      const realQueueId = Number.parseInt(properties[MessageConst.PROPERTY_REAL_QUEUE_ID] ?? "", 10);
      if (!realTopic || !Number.isInteger(realQueueId) || realQueueId < 0) {
        onError(new Error(`timer message ${m.msgId} has no REAL_TOPIC/REAL_QID; dropped`));
        continue;
      }
      properties[MessageConst.PROPERTY_TIMER_DEQUEUE_MS] = String(clock());
      await store.putMessage(reputInput(m, realTopic, realQueueId, properties, m.reconsumeTimes));
    }
  });
}

/**
 * A recall handle (RocketMQ 5.3 RecallMessageHandle.HandleV1): base64url of "v1 topic brokerName deliverAtMs
 * uniqKey". Whoever holds it can cancel the timer message before it is delivered.
 */
export function encodeRecallHandle(
  topic: string,
  brokerName: string,
  deliverAtMs: number,
  uniqKey: string,
): string {
  return Buffer.from(`v1 ${topic} ${brokerName} ${deliverAtMs} ${uniqKey}`, "utf8").toString("base64url");
}

export function decodeRecallHandle(handle: string): {
  topic: string;
  brokerName: string;
  deliverAtMs: number;
  uniqKey: string;
} {
  const parts = Buffer.from(handle, "base64url").toString("utf8").split(" ");
  const deliverAtMs = Number(parts[3]);
  if (parts.length !== 5 || parts[0] !== "v1" || !Number.isSafeInteger(deliverAtMs) || !parts[1] || !parts[4])
    throw new MqError(ResponseCode.INVALID_PARAMETER, "illegal recall handle");
  return { topic: parts[1], brokerName: parts[2]!, deliverAtMs, uniqKey: parts[4] };
}
