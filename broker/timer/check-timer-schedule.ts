import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { TimerSchedule } from "./timer-entry.ts";
import { keyByteLength, TIMER_KEY_MAX_BYTES } from "./timer-record.ts";

export function invalidTimerParameter(message: string): MqError {
  return new MqError(ResponseCode.INVALID_PARAMETER, message);
}

/**
 * Checks a schedule request and fills in the optional fields. A time more than `maxDelayMs` after `nowMs` is
 * MESSAGE_ILLEGAL (RocketMQ's WHEEL_TIMER_MSG_ILLEGAL); malformed fields are INVALID_PARAMETER.
 */
export function checkTimerSchedule(
  request: TimerSchedule,
  nowMs: number,
  maxDelayMs: number,
): Required<TimerSchedule> {
  const invalid = invalidTimerParameter;
  if (typeof request !== "object" || request === null) throw invalid("timer schedule needs a request object");
  const { deliverAtMs, commitLogOffset, size } = request;
  const queueId = request.queueId ?? 0;
  const key = request.key ?? "";
  if (!Number.isSafeInteger(deliverAtMs) || deliverAtMs < 0) {
    throw invalid(
      `timer deliverAtMs must be a non-negative integer of ms since the epoch, got ${deliverAtMs}`,
    );
  }
  if (deliverAtMs - nowMs > maxDelayMs) {
    throw new MqError(
      ResponseCode.MESSAGE_ILLEGAL,
      `timer message illegal: deliverAtMs ${deliverAtMs} is ${deliverAtMs - nowMs} ms ahead, beyond the ` +
        `maximum delay of ${maxDelayMs} ms (timerMaxDelaySec ${Math.floor(maxDelayMs / 1000)})`,
    );
  }
  if (!Number.isSafeInteger(commitLogOffset) || commitLogOffset < 0) {
    throw invalid(`timer commitLogOffset must be a non-negative integer, got ${commitLogOffset}`);
  }
  if (!Number.isInteger(size) || size <= 0 || size > 0x7fffffff) {
    throw invalid(`timer size must be a positive 32-bit integer, got ${size}`);
  }
  if (!Number.isInteger(queueId) || queueId < -0x80000000 || queueId > 0x7fffffff) {
    throw invalid(`timer queueId must be a 32-bit integer, got ${queueId}`);
  }
  if (typeof key !== "string" || keyByteLength(key) > TIMER_KEY_MAX_BYTES) {
    throw invalid(`timer key must be a string of at most ${TIMER_KEY_MAX_BYTES} UTF-8 bytes`);
  }
  return { deliverAtMs, commitLogOffset, size, queueId, key };
}
