import { Code, type Resource, type Status } from "../../proto/v2.ts";
import { status } from "../status.ts";

/**
 * Checks of client input. protobuf-es decodes any bytes into a message without judging content, so every
 * name and id is checked here before it reaches a broker. A check returns the refusing Status, or undefined.
 */
const LEGAL_NAME = /^[%|a-zA-Z0-9_-]+$/;
const TOPIC_MAX_LENGTH = 127;
const GROUP_MAX_LENGTH = 120;
// Bookkeeping topics of the broker: clients may neither send to nor consume from them directly.
const SYSTEM_TOPICS = new Set([
  "SCHEDULE_TOPIC_XXXX",
  "RMQ_SYS_TRANS_HALF_TOPIC",
  "RMQ_SYS_TRANS_OP_HALF_TOPIC",
  "TRANS_CHECK_MAX_TIME_TOPIC",
  "TBW102",
]);

export function checkTopic(resource: Resource | undefined): Status | undefined {
  const name = resource?.name ?? "";
  if (name === "") return status(Code.ILLEGAL_TOPIC, "topic name is empty");
  if (name.length > TOPIC_MAX_LENGTH)
    return status(Code.ILLEGAL_TOPIC, `topic name is longer than ${TOPIC_MAX_LENGTH} characters`);
  if (!LEGAL_NAME.test(name))
    return status(Code.ILLEGAL_TOPIC, `topic name ${clip(name)} may only contain ^[%|a-zA-Z0-9_-]+$`);
  if (SYSTEM_TOPICS.has(name) || name.startsWith("rmq_sys_"))
    return status(Code.FORBIDDEN, `topic ${name} is a system topic`);
  return undefined;
}

export function checkGroup(resource: Resource | undefined): Status | undefined {
  const name = resource?.name ?? "";
  if (name === "") return status(Code.ILLEGAL_CONSUMER_GROUP, "consumer group name is empty");
  if (name.length > GROUP_MAX_LENGTH)
    return status(
      Code.ILLEGAL_CONSUMER_GROUP,
      `consumer group name is longer than ${GROUP_MAX_LENGTH} characters`,
    );
  if (!LEGAL_NAME.test(name))
    return status(
      Code.ILLEGAL_CONSUMER_GROUP,
      `consumer group ${clip(name)} may only contain ^[%|a-zA-Z0-9_-]+$`,
    );
  if (name.startsWith("CID_RMQ_SYS_"))
    return status(Code.FORBIDDEN, `consumer group ${name} is a system group`);
  return undefined;
}

export function checkClientId(clientId: string): Status | undefined {
  if (clientId === "") return status(Code.CLIENT_ID_REQUIRED, "the x-mq-client-id header is required");
  if (clientId.length > 1024 || hasControlCharacter(clientId))
    return status(Code.BAD_REQUEST, "the x-mq-client-id header is malformed");
  return undefined;
}

export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Shortens client-provided text quoted in a status message. */
export function clip(s: string): string {
  const printable = s.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > 64 ? `${printable.slice(0, 64)}...` : printable;
}
