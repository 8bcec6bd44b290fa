import { describe, expect, test } from "bun:test";
import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import { decodeJsonBody, encodeJsonBody, quoteBareKeys } from "./json-body.ts";
import { decodeClusterInfo, decodeKVTable, decodeTopicList, decodeTopicRouteData } from "./route-data.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("JSON bodies", () => {
  test("quotes fastjson's bare integer keys and nothing else", () => {
    expect(quoteBareKeys('{0:"a:1",1:"b",-1:"c"}')).toBe('{"0":"a:1","1":"b","-1":"c"}');
    expect(quoteBareKeys('{"k":"{0:x}", "n":[1, 2], "o":{ 7 : true}}')).toBe(
      '{"k":"{0:x}", "n":[1, 2], "o":{ "7" : true}}',
    );
    expect(quoteBareKeys('{"esc":"a\\",0:b"}')).toBe('{"esc":"a\\",0:b"}');
  });

  test("decodeJsonBody names the body when it is missing or not JSON", () => {
    for (const body of [undefined, new Uint8Array(0), utf8("{oops"), utf8("[1,")]) {
      try {
        decodeJsonBody(body, "TopicRouteData");
        throw new Error("expected a throw");
      } catch (err) {
        expect(err).toBeInstanceOf(MqError);
        expect((err as MqError).code).toBe(ResponseCode.INVALID_PARAMETER);
        expect((err as MqError).message).toStartWith("TopicRouteData body");
      }
    }
  });
});

describe("route data decoders", () => {
  const fastjson =
    '{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a",' +
    '"cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},' +
    '"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}';

  test("reads a Java nameserver's non-standard route JSON (old-client dialect)", () => {
    const route = decodeTopicRouteData(utf8(fastjson));
    expect(route.brokerDatas[0].brokerAddrs).toEqual({ "0": "10.0.0.1:10911", "1": "10.0.0.2:10911" });
    expect(route.brokerDatas[0].zoneName).toBeNull();
    expect(route.queueDatas[0]).toEqual({
      brokerName: "broker-a",
      readQueueNums: 4,
      writeQueueNums: 4,
      perm: 6,
      topicSysFlag: 0,
    });
    expect(route.orderTopicConf).toBeNull();
  });

  test("round-trips standard route JSON", () => {
    const route = decodeTopicRouteData(utf8(fastjson));
    expect(decodeTopicRouteData(encodeJsonBody(route))).toEqual(route);
  });

  test("names the path of a wrongly typed field", () => {
    const bad = utf8(
      '{"queueDatas":[{"brokerName":"a","readQueueNums":"four","writeQueueNums":4,"perm":6}]}',
    );
    expect(() => decodeTopicRouteData(bad)).toThrow(
      "malformed TopicRouteData body: queueDatas[0].readQueueNums must be a number",
    );
    expect(() => decodeTopicRouteData(utf8("[]"))).toThrow(
      "malformed TopicRouteData body: $ must be an object",
    );
  });

  test("decodes cluster info, topic lists and KV tables", () => {
    const info = decodeClusterInfo(
      utf8(
        '{"brokerAddrTable":{"b":{"cluster":"c","brokerName":"b","brokerAddrs":{"0":"h:1"}}},"clusterAddrTable":{"c":["b"]}}',
      ),
    );
    expect(info.clusterAddrTable).toEqual({ c: ["b"] });
    expect(info.brokerAddrTable.b.brokerAddrs).toEqual({ "0": "h:1" });
    expect(decodeTopicList(utf8('{"topicList":["a","b"],"brokerAddr":"h:1"}'))).toEqual({
      topicList: ["a", "b"],
      brokerAddr: "h:1",
    });
    expect(decodeKVTable(utf8('{"table":{"k":"v"}}'))).toEqual({ table: { k: "v" } });
    expect(() => decodeKVTable(utf8('{"table":{"k":1}}'))).toThrow("table.k must be a string");
  });
});
