/** A queue as RocketMQ's MessageQueue serializes it (fastjson sorts fields by name). */
export interface MessageQueueKey {
  topic: string;
  brokerName: string;
  queueId: number;
}

/**
 * fastjson's form of a Map<MessageQueue, V> (TopicStatsTable, ConsumeStats offsetTable): the keys are JSON objects,
 * `{{"brokerName":"b","queueId":0,"topic":"T"}:{...}}`. It is not standard JSON, but it is what Java tooling
 * (mqadmin, the dashboard) parses, so the broker writes exactly that.
 */
export function encodeMessageQueueMap(entries: ReadonlyArray<[MessageQueueKey, unknown]>): string {
  const parts = entries.map(([mq, value]) => {
    const key = `{"brokerName":${JSON.stringify(mq.brokerName)},"queueId":${mq.queueId},"topic":${JSON.stringify(mq.topic)}}`;
    return `${key}:${JSON.stringify(value)}`;
  });
  return `{${parts.join(",")}}`;
}
