import { describe, expect, test } from "bun:test";
import { readReceiptHandle } from "./receipt-handle.ts";

describe("readReceiptHandle", () => {
  test("reads broker, queue, offset and visibility from a broker's handle", () => {
    const h = readReceiptHandle("10 1700000000000 30000 0 0 broker-a 3 12 4096");
    expect(h).toEqual({
      brokerName: "broker-a",
      queueId: 3,
      queueOffset: 12,
      popTime: 1700000000000,
      invisibleTime: 30000,
      nextVisibleTime: 1700000030000,
    });
  });

  test("accepts the 8-field form without a commit log offset and retry-topic handles", () => {
    expect(readReceiptHandle("0 1 2 0 1 broker-b 0 0")?.brokerName).toBe("broker-b");
  });

  test.each([
    [""],
    ["garbage"],
    ["1 2 3"],
    ["a 1 2 0 0 broker-a 0 0 0"],
    ["0 1 2 0 7 broker-a 0 0 0"],
    ["0 1 2 0 0  0 0 0"],
    ["5 1 2 0 0 broker-a 0 4 0"],
    ["0 1 2 0 0 broker-a 0 0 0 extra"],
    ["0 1 2 0 0 bro\u0000ker 0 0 0"],
    ["-1 1 2 0 0 broker-a 0 0 0"],
    ["x".repeat(2000)],
  ])("refuses %p", (handle) => {
    expect(readReceiptHandle(handle)).toBeUndefined();
  });
});
