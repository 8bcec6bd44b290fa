import { describe, expect, test } from "bun:test";
import { MqError } from "../proto/error.ts";
import { decodeConsumeStats, decodeTopicStatsTable, quoteObjectKeys } from "./stats-body.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("quoteObjectKeys", () => {
  test("turns object keys into string keys and leaves the rest alone", () => {
    const text = '{"a":{{"x":"}{,","y":1}:[{"b":2},{"c":{}}]},"s":"{not:a key}"}';
    expect(JSON.parse(quoteObjectKeys(text))).toEqual({
      a: { '{"x":"}{,","y":1}': [{ b: 2 }, { c: {} }] },
      s: "{not:a key}",
    });
  });

  test("standard JSON passes through unchanged", () => {
    const text = '{"a":[1,{"b":"c"}],"d":{"e":null}}';
    expect(quoteObjectKeys(text)).toBe(text);
  });
});

describe("decodeTopicStatsTable", () => {
  test("reads fastjson's MessageQueue-keyed offsetTable, sorted by queue", () => {
    // As a Java broker (and ours) writes it: object keys, fields in name order.
    const body = bytes(
      '{"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:' +
        '{"lastUpdateTimestamp":1700000000000,"maxOffset":5,"minOffset":2},' +
        '{"brokerName":"broker-a","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":0,"maxOffset":0,"minOffset":0}},' +
        '"topicPutTps":1.5}',
    );
    expect(decodeTopicStatsTable(body)).toEqual({
      offsetTable: [
        {
          topic: "T",
          brokerName: "broker-a",
          queueId: 0,
          minOffset: 0,
          maxOffset: 0,
          lastUpdateTimestamp: 0,
        },
        {
          topic: "T",
          brokerName: "broker-a",
          queueId: 1,
          minOffset: 2,
          maxOffset: 5,
          lastUpdateTimestamp: 1700000000000,
        },
      ],
      topicPutTps: 1.5,
    });
  });

  test("an empty table is fine; a broken body is an INVALID_PARAMETER MqError", () => {
    expect(decodeTopicStatsTable(bytes('{"offsetTable":{}}')).offsetTable).toEqual([]);
    for (const bad of ["", "{", '{"offsetTable":{{"queueId":0}:{}}}', '{"offsetTable":{{"brokerName":"b"']) {
      expect(() => decodeTopicStatsTable(bytes(bad))).toThrow(MqError);
    }
    expect(() => decodeTopicStatsTable(bytes('{"offsetTable":{{"queueId":0}:{}}}'))).toThrow(/key.topic/);
  });
});

describe("decodeConsumeStats", () => {
  test("reads offsets per queue and consumeTps", () => {
    const body = bytes(
      '{"consumeTps":0.0,"offsetTable":{' +
        '{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":10,"consumerOffset":4,"lastTimestamp":7,"pullOffset":6},' +
        '{"brokerName":"a","queueId":0,"topic":"T"}:{"brokerOffset":3,"consumerOffset":-1,"lastTimestamp":0}}}',
    );
    expect(decodeConsumeStats(body)).toEqual({
      offsetTable: [
        {
          topic: "T",
          brokerName: "a",
          queueId: 0,
          brokerOffset: 3,
          consumerOffset: -1,
          pullOffset: -1,
          lastTimestamp: 0,
        },
        {
          topic: "T",
          brokerName: "b",
          queueId: 0,
          brokerOffset: 10,
          consumerOffset: 4,
          pullOffset: 6,
          lastTimestamp: 7,
        },
      ],
      consumeTps: 0,
    });
  });
});
