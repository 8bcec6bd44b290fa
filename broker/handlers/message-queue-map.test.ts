import { expect, test } from "bun:test";
import { encodeMessageQueueMap } from "./message-queue-map.ts";

test("writes a MessageQueue-keyed map the way fastjson does", () => {
  const text = encodeMessageQueueMap([
    [
      { topic: "T", brokerName: "b", queueId: 1 },
      { maxOffset: 3, minOffset: 0 },
    ],
    [
      { topic: "T", brokerName: "b", queueId: 2 },
      { maxOffset: 5, minOffset: 1 },
    ],
  ]);
  expect(text).toBe(
    '{{"brokerName":"b","queueId":1,"topic":"T"}:{"maxOffset":3,"minOffset":0},' +
      '{"brokerName":"b","queueId":2,"topic":"T"}:{"maxOffset":5,"minOffset":1}}',
  );
  expect(encodeMessageQueueMap([])).toBe("{}");
});
