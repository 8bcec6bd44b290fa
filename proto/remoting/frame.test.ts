import { describe, expect, test } from "bun:test";
import { MqError } from "../error.ts";
import { RequestCode } from "../request-code.ts";
import { ResponseCode } from "../response-code.ts";
import { RemotingDecodeError, type RemotingDecodeReason } from "./decode-error.ts";
import {
  createFrameDecoder,
  DEFAULT_MAX_FRAME_SIZE,
  decodeFrame,
  encodeFrame,
  encodeFrameAs,
  encodeFrameHeadAs,
} from "./frame.ts";
import {
  createRequest,
  createResponse,
  ensureResponseCode,
  errorToResponse,
  FLAG_RESPONSE,
  isOneway,
  isResponse,
  type RemotingCommand,
  type SerializeTypeName,
} from "./remoting-command.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Strips the 4-byte total length, as the streaming decoder does. */
const unprefixed = (frame: Uint8Array) => frame.subarray(4);

function roundTrip(cmd: RemotingCommand, type: SerializeTypeName): RemotingCommand {
  return decodeFrame(unprefixed(encodeFrame(cmd, type)));
}

function expectDecodeError(fn: () => unknown, reason: RemotingDecodeReason) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RemotingDecodeError);
    expect(err).toBeInstanceOf(MqError);
    expect((err as RemotingDecodeError).reason).toBe(reason);
    return;
  }
  throw new Error(`expected a ${reason} decoding error`);
}

function frameWith(word: number, header: Uint8Array, body = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(4 + header.length + body.length);
  new DataView(out.buffer).setUint32(0, word >>> 0);
  out.set(header, 4);
  out.set(body, 4 + header.length);
  return out;
}

describe("frame codec", () => {
  const request = {
    ...createRequest(
      RequestCode.SEND_MESSAGE_V2,
      { b: "TopicTest", e: 3, g: 1700000000123, m: false },
      utf8("body"),
    ),
    opaque: 42,
    remark: "注意 ünïcode ✓",
  };

  for (const type of ["JSON", "ROCKETMQ"] as const) {
    test(`round-trips a request with a ${type} header and a body`, () => {
      const back = roundTrip(request, type);
      expect(back).toEqual({ ...request, serializeType: type });
      expect(back.extFields).toEqual({ b: "TopicTest", e: "3", g: "1700000000123", m: "false" });
    });

    test(`round-trips a ${type} command without body, remark or extFields`, () => {
      const cmd = { ...createRequest(RequestCode.HEART_BEAT), opaque: 7 };
      const back = roundTrip(cmd, type);
      expect(back.body).toBeUndefined();
      expect(back.remark).toBeUndefined();
      expect(back.extFields).toEqual({});
      expect(back).toEqual({ ...cmd, serializeType: type });
    });

    test(`keeps unicode keys and values in ${type} extFields`, () => {
      const cmd = {
        ...createRequest(RequestCode.PUT_KV_CONFIG, { 命名空间: "値😀", key: "\u0001\u0002" }),
        opaque: 9,
      };
      expect(roundTrip(cmd, type).extFields).toEqual({ 命名空间: "値😀", key: "\u0001\u0002" });
    });

    test(`round-trips a ${type} response with flags and negative opaque`, () => {
      const response = {
        ...createResponse({ ...request, opaque: -5 }, ResponseCode.TOPIC_NOT_EXIST, "no route"),
      };
      const back = roundTrip(response, type);
      expect(isResponse(back)).toBe(true);
      expect(isOneway(back)).toBe(false);
      expect(back.opaque).toBe(-5);
      expect(back.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
      expect(back.remark).toBe("no route");
    });
  }

  test("falls back to a JSON header for codes that do not fit ROCKETMQ's int16", () => {
    const pop = { ...createRequest(RequestCode.POP_MESSAGE, { topic: "T" }), opaque: 1 };
    const frame = encodeFrame(pop, "ROCKETMQ");
    expect(frame[4]).toBe(0); // serialize type byte
    expect(decodeFrame(unprefixed(frame)).code).toBe(200050);
  });

  test("writes a ROCKETMQ frame byte for byte as RocketMQSerializable does (golden)", () => {
    const cmd = {
      ...createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: "T" }, utf8("hi")),
      opaque: 7,
    };
    const golden =
      "00000027" + // total length 39 = 4 + 33 + 2
      "01000021" + // ROCKETMQ, header length 33
      "0069" + // code 105
      "00" + // JAVA
      "01df" + // version 479
      "00000007" + // opaque
      "00000000" + // flag
      "00000000" + // no remark
      "0000000c" + // extFields length 12
      "0005746f706963" + // "topic"
      "0000000154" + // "T"
      "6869"; // body "hi"
    expect(hex(encodeFrame(cmd, "ROCKETMQ"))).toBe(golden);
    expect(decodeFrame(Buffer.from(golden, "hex").subarray(4))).toEqual({
      ...cmd,
      serializeType: "ROCKETMQ",
    });
  });

  test("writes a JSON frame with fastjson's field order (golden)", () => {
    const cmd = { ...createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: "T" }), opaque: 1 };
    const json =
      '{"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":1,' +
      '"serializeTypeCurrentRPC":"JSON","version":479}';
    const length = utf8(json).length;
    const golden = hex(frameWith(length + 4, frameWith(length, utf8(json))));
    expect(hex(encodeFrame(cmd, "JSON"))).toBe(golden);
  });

  test("reads ali-ons style JSON headers: numeric extFields, missing fields, language as a byte", () => {
    const header = utf8(
      '{"code":34,"language":13,"opaque":3,"extFields":{"queueId":0,"order":true,"x":null}}',
    );
    const cmd = decodeFrame(frameWith(header.length, header));
    expect(cmd.code).toBe(34);
    expect(cmd.language).toBe("NODE_JS");
    expect(cmd.version).toBe(0);
    expect(cmd.flag).toBe(0);
    expect(cmd.extFields).toEqual({ queueId: "0", order: "true" });
  });
});

describe("decodeFrame rejects bad frames", () => {
  test("a header length bigger than the frame", () => {
    expectDecodeError(() => decodeFrame(frameWith(100, utf8("{}"))), "HEADER_LENGTH_EXCEEDS_FRAME");
  });

  test("a frame too short to hold the header length", () => {
    expectDecodeError(() => decodeFrame(new Uint8Array([0, 0])), "FRAME_LENGTH_INVALID");
  });

  test("an unknown serialize type", () => {
    expectDecodeError(() => decodeFrame(frameWith((7 << 24) | 2, utf8("{}"))), "UNKNOWN_SERIALIZE_TYPE");
  });

  test("a header that is not JSON", () => {
    const header = utf8("not json at all");
    expectDecodeError(() => decodeFrame(frameWith(header.length, header)), "HEADER_NOT_JSON");
    expectDecodeError(() => decodeFrame(frameWith(0, new Uint8Array(0))), "HEADER_NOT_JSON");
  });

  test("JSON headers with the wrong shapes", () => {
    for (const text of [
      "[1,2]",
      '"x"',
      '{"code":"105"}',
      '{"code":1.5}',
      '{"extFields":[1]}',
      '{"remark":3}',
    ]) {
      const header = utf8(text);
      expectDecodeError(() => decodeFrame(frameWith(header.length, header)), "HEADER_MALFORMED");
    }
  });

  test("a truncated ROCKETMQ header", () => {
    const good = unprefixed(encodeFrame({ ...createRequest(10, { topic: "T" }), remark: "r" }, "ROCKETMQ"));
    const headerLength = new DataView(good.buffer, good.byteOffset).getUint32(0) & 0xffffff;
    for (const cut of [5, 13, 15, headerLength - 1]) {
      const header = good.slice(4, 4 + cut);
      expectDecodeError(() => decodeFrame(frameWith((1 << 24) | header.length, header)), "HEADER_MALFORMED");
    }
    // extFields claiming more than the header holds
    const lying = good.slice(4, 4 + headerLength);
    new DataView(lying.buffer).setInt32(lying.length - 12 - 4, 1000);
    expectDecodeError(() => decodeFrame(frameWith((1 << 24) | lying.length, lying)), "HEADER_MALFORMED");
  });
});

describe("streaming frame decoder", () => {
  const commands = [
    { ...createRequest(RequestCode.SEND_MESSAGE, { topic: "a" }, utf8("x".repeat(1000))), opaque: 1 },
    { ...createRequest(RequestCode.HEART_BEAT), opaque: 2 },
    { ...createRequest(RequestCode.PULL_MESSAGE, { topic: "ü" }, new Uint8Array(70_000).fill(7)), opaque: 3 },
  ];
  const stream = Buffer.concat(commands.map((c, i) => encodeFrame(c, i % 2 ? "ROCKETMQ" : "JSON")));

  function feed(chunkSizes: (i: number) => number): RemotingCommand[] {
    const decoder = createFrameDecoder();
    const out: RemotingCommand[] = [];
    let pos = 0;
    for (let i = 0; pos < stream.length; i++) {
      const size = Math.max(1, chunkSizes(i));
      out.push(...decoder.push(stream.subarray(pos, pos + size)).map(decodeFrame));
      pos += size;
    }
    expect(decoder.bufferedBytes).toBe(0);
    return out;
  }

  const expected: RemotingCommand[] = commands.map((c, i) => ({
    ...c,
    serializeType: i % 2 ? "ROCKETMQ" : "JSON",
  }));

  test("yields the same commands when fed byte by byte", () => {
    expect(feed(() => 1)).toEqual(expected);
  });

  test("yields the same commands when fed in odd chunks", () => {
    const sizes = [3, 5, 7, 11, 13, 1, 4096, 2, 65537];
    expect(feed((i) => sizes[i % sizes.length])).toEqual(expected);
  });

  test("yields every frame of one big chunk", () => {
    expect(feed(() => stream.length)).toEqual(expected);
  });

  test("keeps earlier frames intact across later pushes", () => {
    const decoder = createFrameDecoder();
    const [frame] = decoder.push(encodeFrame(commands[0]));
    decoder.push(encodeFrame(commands[2]));
    expect(decodeFrame(frame)).toEqual({ ...commands[0], serializeType: "JSON" });
  });

  test("yields whole frames as views of the chunk and gathers split ones", () => {
    const decoder = createFrameDecoder();
    const chunk = Buffer.from(stream); // what a socket gives
    const [first, second, ...rest] = decoder.push(chunk.subarray(0, stream.length - 10));
    expect(rest).toEqual([]);
    expect(first!.buffer).toBe(chunk.buffer); // no copy
    expect(first!.constructor).toBe(Uint8Array);
    expect(second!.buffer).toBe(chunk.buffer);
    expect(decoder.bufferedBytes).toBe(stream.length - 10 - (first!.length + 4) - (second!.length + 4));
    const [third] = decoder.push(chunk.subarray(stream.length - 10));
    expect(third!.buffer).not.toBe(chunk.buffer); // gathered into its own buffer
    expect([first, second, third].map((f) => decodeFrame(f!))).toEqual(expected);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("gathers a length prefix split over chunks, then frames after it in the same chunk", () => {
    const decoder = createFrameDecoder();
    const a = encodeFrame(commands[1]!, "ROCKETMQ");
    const b = encodeFrame(commands[0]!, "JSON");
    expect(decoder.push(a.subarray(0, 1))).toEqual([]);
    expect(decoder.push(a.subarray(1, 3))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(3);
    const out = decoder.push(Buffer.concat([a.subarray(3), b, b.subarray(0, 2)]));
    expect(out.map(decodeFrame)).toEqual([expected[1], expected[0]]);
    expect(decoder.bufferedBytes).toBe(2);
    expect(decoder.push(b.subarray(2)).map(decodeFrame)).toEqual([expected[0]]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("checks a split length prefix against the limit once it is whole", () => {
    const decoder = createFrameDecoder({ maxFrameSize: 1024 });
    expect(decoder.push(new Uint8Array([0, 0]))).toEqual([]);
    expectDecodeError(() => decoder.push(new Uint8Array([0x04, 0x01, 9, 9])), "FRAME_TOO_LARGE");
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("rejects a frame length over the limit before buffering it", () => {
    const decoder = createFrameDecoder({ maxFrameSize: 1024 });
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, 1025);
    expectDecodeError(() => decoder.push(prefix), "FRAME_TOO_LARGE");
    expect(decoder.bufferedBytes).toBe(0);
    // stays failed
    expectDecodeError(() => decoder.push(encodeFrame(commands[1])), "FRAME_TOO_LARGE");
  });

  test("rejects 2^31-1 and negative lengths with the default limit", () => {
    expect(DEFAULT_MAX_FRAME_SIZE).toBeGreaterThan(4 * 1024 * 1024);
    const max = createFrameDecoder();
    expectDecodeError(() => max.push(new Uint8Array([0x7f, 0xff, 0xff, 0xff])), "FRAME_TOO_LARGE");
    const negative = createFrameDecoder();
    expectDecodeError(() => negative.push(new Uint8Array([0x80, 0, 0, 0])), "FRAME_LENGTH_INVALID");
    const tiny = createFrameDecoder();
    expectDecodeError(() => tiny.push(new Uint8Array([0, 0, 0, 3, 1, 2, 3])), "FRAME_LENGTH_INVALID");
  });

  test("accepts a frame exactly at the limit", () => {
    const cmd = { ...createRequest(10, {}, new Uint8Array(1000)), opaque: 1 };
    const frame = encodeFrame(cmd);
    const decoder = createFrameDecoder({ maxFrameSize: frame.length - 4 });
    expect(decoder.push(frame)).toHaveLength(1);
  });
});

describe("command helpers", () => {
  const request = { ...createRequest(RequestCode.GET_KV_CONFIG, { namespace: "n", key: "k" }), opaque: 12 };

  test("createResponse echoes the opaque and serialize type and sets the response flag", () => {
    const response = createResponse(
      { ...request, serializeType: "ROCKETMQ" },
      ResponseCode.SUCCESS,
      undefined,
      {
        value: 1,
      },
    );
    expect(response.opaque).toBe(12);
    expect(response.flag & FLAG_RESPONSE).toBe(FLAG_RESPONSE);
    expect(response.serializeType).toBe("ROCKETMQ");
    expect(response.extFields).toEqual({ value: "1" });
    expect(response.remark).toBeUndefined();
  });

  test("errorToResponse keeps an MqError's code and message, anything else is SYSTEM_ERROR", () => {
    const e1 = errorToResponse(request, new MqError(ResponseCode.TOPIC_NOT_EXIST, "no topic T"));
    expect([e1.code, e1.remark, e1.opaque]).toEqual([ResponseCode.TOPIC_NOT_EXIST, "no topic T", 12]);
    const e2 = errorToResponse(request, new TypeError("x is undefined"));
    expect([e2.code, e2.remark]).toEqual([ResponseCode.SYSTEM_ERROR, "x is undefined"]);
  });

  test("ensureResponseCode passes accepted codes and throws the peer's code otherwise", () => {
    const ok = createResponse(request, ResponseCode.SUCCESS);
    expect(ensureResponseCode(ok)).toBe(ok);
    const notFound = createResponse(request, ResponseCode.QUERY_NOT_FOUND, "No config item");
    expect(ensureResponseCode(notFound, ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND)).toBe(notFound);
    expect(() => ensureResponseCode(notFound)).toThrow("No config item");
    try {
      ensureResponseCode(notFound);
    } catch (err) {
      expect((err as MqError).code).toBe(ResponseCode.QUERY_NOT_FOUND);
    }
  });
});

describe("encodeFrameHeadAs", () => {
  for (const type of ["ROCKETMQ", "JSON"] as const) {
    test(`followed by the body it is the whole frame (${type}, non-ASCII header)`, () => {
      const body = utf8("body bytes ".repeat(100));
      const cmd = createResponse(
        { ...createRequest(RequestCode.PULL_MESSAGE), opaque: 7 },
        ResponseCode.SUCCESS,
        "r\u00e9mark",
        { nextBeginOffset: 42, t\u00f6pic: "\u00fc" },
        body,
      );
      const whole = encodeFrameAs(cmd, type, 9, FLAG_RESPONSE);
      const head = encodeFrameHeadAs(cmd, type, 9, FLAG_RESPONSE);
      expect(head.length).toBe(whole.length - body.length);
      expect(hex(Buffer.concat([head, body]))).toBe(hex(whole));
    });
  }
});
