import { describe, expect, test } from "bun:test";
import { RequestCode } from "../request-code.ts";
import { RemotingDecodeError } from "./decode-error.ts";
import { createRequest, type RemotingCommand } from "./remoting-command.ts";
import { decodeRocketmqHeader, encodeRocketmqHeader, rocketmqHeaderLength } from "./rocketmq-header.ts";

const utf8 = new TextEncoder();

/** RocketMQSerializable written the plain way (TextEncoder, DataView): what the fast encoder must equal. */
function referenceHeader(cmd: RemotingCommand): Uint8Array {
  const parts: number[] = [];
  const int = (v: number, bytes: number) => {
    for (let i = bytes - 1; i >= 0; i--) parts.push((v >>> (8 * i)) & 0xff);
  };
  int(cmd.code, 2);
  parts.push(0); // JAVA
  int(cmd.version, 2);
  int(cmd.opaque, 4);
  int(cmd.flag, 4);
  const remark = utf8.encode(cmd.remark ?? "");
  int(remark.length, 4);
  parts.push(...remark);
  const ext: number[] = [];
  for (const [k, v] of Object.entries(cmd.extFields)) {
    const kb = utf8.encode(k);
    const vb = utf8.encode(v);
    for (let i = 1; i >= 0; i--) ext.push((kb.length >>> (8 * i)) & 0xff);
    ext.push(...kb);
    for (let i = 3; i >= 0; i--) ext.push((vb.length >>> (8 * i)) & 0xff);
    ext.push(...vb);
  }
  int(ext.length, 4);
  parts.push(...ext);
  return Uint8Array.from(parts);
}

function command(extFields: Record<string, string>, remark?: string): RemotingCommand {
  return {
    ...createRequest(RequestCode.SEND_MESSAGE_V2, extFields),
    opaque: -123456,
    flag: 2,
    ...(remark !== undefined ? { remark } : {}),
  };
}

function expectMalformed(bytes: Uint8Array, at: string) {
  try {
    decodeRocketmqHeader(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(RemotingDecodeError);
    expect((err as RemotingDecodeError).reason).toBe("HEADER_MALFORMED");
    expect((err as Error).message).toBe(`ROCKETMQ header truncated at ${at}`);
    return;
  }
  throw new Error(`expected HEADER_MALFORMED at ${at}`);
}

/** A header of `ext` (raw extFields bytes) after the fixed fields and an empty remark. */
function withExt(ext: number[]): Uint8Array {
  const head = referenceHeader(command({}));
  const out = new Uint8Array(head.length + ext.length);
  out.set(head);
  out.set(ext, head.length);
  new DataView(out.buffer).setInt32(head.length - 4, ext.length);
  return out;
}

describe("ROCKETMQ header codec", () => {
  const cases: Record<string, Record<string, string>> = {
    "SEND_MESSAGE_V2's one-letter keys": {
      a: "PG",
      b: "TopicTest",
      c: "TBW102",
      d: "4",
      e: "-1",
      g: "1732500000000",
      i: "UNIQ_KEY\u0001AC1100020001\u0002TAGS\u0001a\u0002",
      m: "false",
    },
    "empty keys and values, odd lengths": { "": "", x: "", abc: "1", "key-of-seven": "y".repeat(257) },
    "non-ASCII values among ASCII ones": { topic: "T", tag: "ünïcode", emoji: "😀", cjk: "注意✓", n: "1" },
    "non-ASCII keys": { 命名空间: "v", ß: "ß" },
    "control characters": { a: "\u0000\u0001\u0002\u007f" },
  };

  for (const [name, ext] of Object.entries(cases)) {
    test(`round-trips ${name}, byte for byte as the reference writes it`, () => {
      for (const remark of [undefined, "no route", "ü ✓"]) {
        const cmd = command(ext, remark);
        const bytes = encodeRocketmqHeader(cmd);
        expect(bytes).toEqual(referenceHeader(cmd));
        expect(rocketmqHeaderLength(cmd, false)).toBe(bytes.length);
        const back = decodeRocketmqHeader(bytes);
        expect(back.extFields).toEqual(ext);
        expect(back.remark).toBe(remark || undefined);
        expect([back.code, back.opaque, back.flag, back.language]).toEqual([cmd.code, -123456, 2, "JAVA"]);
      }
    });
  }

  test("writes a lone surrogate as U+FFFD, as TextEncoder does", () => {
    const cmd = command({ k: "a\ud800b" });
    expect(encodeRocketmqHeader(cmd)).toEqual(referenceHeader(cmd));
    expect(decodeRocketmqHeader(encodeRocketmqHeader(cmd)).extFields).toEqual({ k: "a\ufffdb" });
  });

  test("refuses a key over 32767 bytes and codes that do not fit int16", () => {
    expect(encodeRocketmqHeader(command({ ["k".repeat(32767)]: "v" })).length).toBeGreaterThan(32767);
    expect(() => encodeRocketmqHeader(command({ ["é".repeat(16384)]: "v" }))).toThrow(
      "extFields key longer than 32767 bytes",
    );
    expect(() => encodeRocketmqHeader({ ...command({}), code: 200050 })).toThrow("does not fit");
  });

  test("reads invalid UTF-8 as U+FFFD in keys and values, one-byte keys included", () => {
    // key 0xff (one byte), value "a" 0xc3 (truncated sequence) "b"
    const bytes = withExt([0, 1, 0xff, 0, 0, 0, 3, 0x61, 0xc3, 0x62, 0, 1, 0x6b, 0, 0, 0, 1, 0x76]);
    expect(decodeRocketmqHeader(bytes).extFields).toEqual({ "\ufffd": "a\ufffdb", k: "v" });
  });

  test("a later duplicate key wins", () => {
    const bytes = withExt([0, 1, 0x6b, 0, 0, 0, 1, 0x31, 0, 1, 0x6b, 0, 0, 0, 1, 0x32]);
    expect(decodeRocketmqHeader(bytes).extFields).toEqual({ k: "2" });
  });

  test("reads random headers exactly as TextDecoder would", () => {
    const alphabet = ["a", "Z", "0", " ", "\u0001", "é", "中", "😀", "\u007f"];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const word = () => Array.from({ length: random(20) }, () => alphabet[random(alphabet.length)]).join("");
    for (let i = 0; i < 300; i++) {
      const ext: Record<string, string> = {};
      for (let f = random(12); f > 0; f--) ext[word()] = word();
      const cmd = command(ext, random(3) === 0 ? word() : undefined);
      const bytes = encodeRocketmqHeader(cmd);
      expect(bytes).toEqual(referenceHeader(cmd));
      expect(decodeRocketmqHeader(bytes).extFields).toEqual(ext);
    }
  });

  test("reads a header between offsets and never past its end", () => {
    const header = encodeRocketmqHeader(command({ k: "v" }, "r"));
    const framed = new Uint8Array(3 + header.length + 8).fill(0x7f);
    framed.set(header, 3);
    expect(decodeRocketmqHeader(framed, 3, 3 + header.length).extFields).toEqual({ k: "v" });
    // cut one byte short: the bytes after the end (a body) must not complete it
    try {
      decodeRocketmqHeader(framed, 3, 3 + header.length - 1);
      throw new Error("expected HEADER_MALFORMED");
    } catch (err) {
      expect((err as RemotingDecodeError).reason).toBe("HEADER_MALFORMED");
    }
  });

  test("reads raw bytes exactly as decoding each key and value alone would", () => {
    // Lone and truncated sequences, characters split across a field boundary, BOMs, and lengths of 128+ whose
    // length bytes are themselves over 0x7f (0xc3 then a value starting 0xa9 would read as "é" if decoded together).
    const pieces = [
      [0x61],
      [0x7a, 0x30],
      [0xff],
      [0xa9],
      [0xc3],
      [0xc3, 0xa9],
      [0xe4, 0xb8],
      [0xe4, 0xb8, 0xad],
    ];
    pieces.push([0xf0, 0x9f, 0x98, 0x80], [0xef, 0xbb, 0xbf], [0x01, 0x02]);
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const field = (): number[] => {
      const out: number[] = [];
      const target = [0, 1, 2, 5, 127, 128, 195, 200, 300][random(9)]!;
      while (out.length < target) out.push(...pieces[random(pieces.length)]!);
      return out.slice(0, target);
    };
    const decoder = new TextDecoder();
    for (let i = 0; i < 400; i++) {
      const ext: number[] = [];
      const expected: Record<string, string> = {};
      for (let f = 1 + random(6); f > 0; f--) {
        const key = field().slice(0, 3 + random(2) * 200);
        const value = field();
        ext.push(key.length >> 8, key.length & 0xff, ...key);
        ext.push(0, 0, value.length >> 8, value.length & 0xff, ...value);
        expected[decoder.decode(Uint8Array.from(key))] = decoder.decode(Uint8Array.from(value));
      }
      expect(decodeRocketmqHeader(withExt(ext)).extFields).toEqual(expected);
    }
  });

  test("keeps the fast path's substrings for values of 128 bytes and more", () => {
    const long = { a: "x".repeat(128), b: "y".repeat(195), properties: "K\u0001V\u0002".repeat(40) };
    expect(decodeRocketmqHeader(encodeRocketmqHeader(command(long))).extFields).toEqual(long);
  });

  test("reads language bytes it does not know as OTHER", () => {
    const bytes = encodeRocketmqHeader(command({}));
    bytes[2] = 0xf0;
    expect(decodeRocketmqHeader(bytes).language).toBe("OTHER");
  });

  test("refuses truncated and lying lengths with the field named", () => {
    const full = encodeRocketmqHeader(command({ k: "v" }, "r"));
    expectMalformed(full.subarray(0, 12), "fixed fields");
    expectMalformed(full.subarray(0, 15), "remark length");
    expectMalformed(full.subarray(0, 17), "remark");
    expectMalformed(full.subarray(0, 20), "extFields length");
    expectMalformed(full.subarray(0, full.length - 1), "extFields");
    const negativeRemark = full.slice();
    negativeRemark.set([0xff, 0xff, 0xff, 0xff], 13);
    expectMalformed(negativeRemark, "remark");
    expectMalformed(withExt([0]), "extFields key length");
    expectMalformed(withExt([0xff, 0xff, 0x61]), "extFields key"); // negative key length
    expectMalformed(withExt([0, 2, 0x61]), "extFields key");
    expectMalformed(withExt([0, 1, 0x61, 0, 0, 0]), "extFields value length");
    expectMalformed(withExt([0, 1, 0x61, 0x80, 0, 0, 0]), "extFields value"); // negative value length
    expectMalformed(withExt([0, 1, 0x61, 0, 0, 0, 2, 0x62]), "extFields value");
    expectMalformed(withExt([0, 1, 0xe4, 0, 0, 0, 2, 0xb8]), "extFields value"); // the non-ASCII path too
  });
});
