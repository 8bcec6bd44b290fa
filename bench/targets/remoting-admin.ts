/**
 * One-off remoting requests the targets make outside the measured windows (probes, topic creation), through
 * bunmq's own remoting client. Each call dials, asks and closes: nothing stays open between workloads.
 */
import { MqError } from "../../proto/error.ts";
import {
  createRemotingClient,
  createRequest,
  type HeaderValues,
  type RemotingCommand,
} from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";

export async function remotingCall(
  addr: string,
  code: number,
  extFields: HeaderValues = {},
  body?: Uint8Array,
  timeoutMs = 3000,
): Promise<RemotingCommand> {
  const client = createRemotingClient({ connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs });
  try {
    return await client.invoke(addr, createRequest(code, extFields, body), timeoutMs);
  } finally {
    await client.close();
  }
}

async function ok(p: Promise<RemotingCommand>, what: string): Promise<RemotingCommand> {
  const r = await p;
  if (r.code !== ResponseCode.SUCCESS) throw new MqError(r.code, `${what}: ${r.remark ?? `code ${r.code}`}`);
  return r;
}

/** Creates (or updates) a NORMAL topic with `queues` read and write queues on one broker. */
export async function createTopic(brokerAddr: string, topic: string, queues: number): Promise<void> {
  await ok(
    remotingCall(brokerAddr, RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic,
      readQueueNums: queues,
      writeQueueNums: queues,
      perm: 6,
      topicFilterType: "SINGLE_TAG",
      attributes: "+message.type=NORMAL",
    }),
    `create topic ${topic}`,
  );
}

/** Creates a subscription group (consumers start from the first message of a new queue). */
export async function createGroup(brokerAddr: string, groupName: string): Promise<void> {
  await ok(
    remotingCall(
      brokerAddr,
      RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
      {},
      new TextEncoder().encode(
        JSON.stringify({
          groupName,
          consumeEnable: true,
          consumeFromMinEnable: true,
          consumeBroadcastEnable: false,
          consumeMessageOrderly: false,
          retryQueueNums: 1,
          retryMaxTimes: 16,
          brokerId: 0,
          whichBrokerWhenConsumeSlowly: 1,
          notifyConsumerIdsChangedEnable: true,
        }),
      ),
    ),
    `create group ${groupName}`,
  );
}
