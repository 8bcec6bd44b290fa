import { describe, expect, test } from "bun:test";
import { deflateSync } from "node:zlib";
import { MqError } from "../error.ts";
import { RequestCode } from "../request-code.ts";
import { ResponseCode } from "../response-code.ts";
import { crc32, rocketmqCrc32 } from "./crc32.ts";
import { readHeader } from "./custom-header.ts";
import { decodeFrame, encodeFrame } from "./frame.ts";
import { NamesrvHeader } from "./namesrv-headers.ts";
import {
  type BrokerRegistration,
  createRegisterBrokerRequest,
  createUnregisterBrokerRequest,
  decodeRegisterBrokerBody,
} from "./register-broker.ts";
import { defaultTopicConfig } from "./route-data.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

const registration: BrokerRegistration = {
  clusterName: "DefaultCluster",
  brokerName: "broker-a",
  brokerAddr: "127.0.0.1:10911",
  brokerId: 0,
  haServerAddr: "127.0.0.1:10912",
  topicConfigTable: {
    TopicTest: { ...defaultTopicConfig, topicName: "TopicTest", readQueueNums: 4, writeQueueNums: 4 },
    "%RETRY%g": {
      ...defaultTopicConfig,
      topicName: "%RETRY%g",
      readQueueNums: 1,
      writeQueueNums: 1,
      attributes: { "+a": "b" },
    },
  },
  dataVersion: { stateVersion: 0, timestamp: 1700000000000, counter: 3 },
  heartbeatTimeoutMillis: 30000,
};

/** Java RegisterBrokerBody.encode(true), written from its description, to feed the decoder. */
function javaCompressedBody(): Uint8Array {
  const parts: Uint8Array[] = [];
  const int = (n: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n);
    parts.push(b);
  };
  const text = (s: string) => {
    const b = utf8(s);
    int(b.length);
    parts.push(b);
  };
  text(JSON.stringify(registration.dataVersion));
  int(2);
  text("TopicTest 4 4 6 SINGLE_TAG");
  text('%RETRY%g 1 1 6 SINGLE_TAG {"+a":"b"}');
  text('["127.0.0.1:7777"]');
  int(0);
  return deflateSync(Buffer.concat(parts));
}

describe("REGISTER_BROKER request", () => {
  test("carries the header RocketMQ expects and a JSON body with its CRC", () => {
    const request = decodeFrame(
      encodeFrame({ ...createRegisterBrokerRequest(registration), opaque: 1 }).subarray(4),
    );
    expect(request.code).toBe(RequestCode.REGISTER_BROKER);
    const header = readHeader(request, NamesrvHeader.registerBroker);
    expect(header).toEqual({
      brokerName: "broker-a",
      brokerAddr: "127.0.0.1:10911",
      clusterName: "DefaultCluster",
      haServerAddr: "127.0.0.1:10912",
      brokerId: 0,
      heartbeatTimeoutMillis: 30000,
      compressed: false,
      bodyCrc32: rocketmqCrc32(request.body!),
    });
    const body = decodeRegisterBrokerBody(request.body);
    expect(body.topicConfigSerializeWrapper.topicConfigTable).toEqual({ ...registration.topicConfigTable });
    expect(body.topicConfigSerializeWrapper.dataVersion).toEqual(registration.dataVersion);
    expect(body.filterServerList).toEqual([]);
  });

  test("decodes Java's compressed body", () => {
    const body = decodeRegisterBrokerBody(javaCompressedBody(), true);
    expect(body.topicConfigSerializeWrapper.dataVersion).toEqual(registration.dataVersion);
    expect(body.topicConfigSerializeWrapper.topicConfigTable).toEqual({ ...registration.topicConfigTable });
    expect(body.filterServerList).toEqual(["127.0.0.1:7777"]);
  });

  test("treats a missing body as no topics at version 0", () => {
    const body = decodeRegisterBrokerBody(undefined);
    expect(body.topicConfigSerializeWrapper).toEqual({
      topicConfigTable: {},
      dataVersion: { stateVersion: 0, timestamp: 0, counter: 0 },
    });
  });

  test("fills Java's TopicConfig defaults and takes the name from the key", () => {
    const body = decodeRegisterBrokerBody(
      utf8('{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{}}}}'),
    );
    expect(body.topicConfigSerializeWrapper.topicConfigTable.T).toEqual({
      ...defaultTopicConfig,
      topicName: "T",
    });
  });

  test("rejects malformed bodies with INVALID_PARAMETER", () => {
    const cases: Array<[Uint8Array, boolean, string]> = [
      [utf8("{not json"), false, "RegisterBrokerBody body is not valid JSON"],
      [
        utf8('{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"perm":"rw"}}}}'),
        false,
        "topicConfigTable.T.perm must be a number",
      ],
      [utf8('{"topicConfigSerializeWrapper":[]}'), false, "topicConfigSerializeWrapper must be an object"],
      [utf8("not deflate"), true, "compressed RegisterBrokerBody does not inflate"],
      [javaCompressedBody().subarray(0, 20), true, "compressed RegisterBrokerBody"],
      [
        deflateSync(new Uint8Array([0, 0, 0, 2, 123, 125, 0, 0, 0, 1, 0, 0, 0, 3, 65, 32, 66])),
        true,
        'malformed compressed topic config "A B"',
      ],
    ];
    for (const [body, compressed, message] of cases) {
      try {
        decodeRegisterBrokerBody(body, compressed);
        throw new Error(`expected "${message}"`);
      } catch (err) {
        expect(err).toBeInstanceOf(MqError);
        expect((err as MqError).code).toBe(ResponseCode.INVALID_PARAMETER);
        expect((err as MqError).message).toContain(message);
      }
    }
  });

  test("UNREGISTER_BROKER carries the four keys", () => {
    const request = createUnregisterBrokerRequest(registration);
    expect(readHeader(request, NamesrvHeader.unregisterBroker)).toEqual({
      brokerName: "broker-a",
      brokerAddr: "127.0.0.1:10911",
      clusterName: "DefaultCluster",
      brokerId: 0,
    });
  });
});

describe("crc32", () => {
  test("matches the IEEE check value and RocketMQ's sign-cleared form", () => {
    expect(crc32(utf8("123456789"))).toBe(0xcbf43926);
    expect(rocketmqCrc32(utf8("123456789"))).toBe(0xcbf43926 & 0x7fffffff);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});
