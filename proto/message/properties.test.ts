import { describe, expect, test } from "bun:test";
import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import {
  decodeMessageProperties,
  decodeMessagePropertiesBytes,
  encodeMessageProperties,
  measureMessageProperties,
  writeMessageProperties,
} from "./properties.ts";

describe("message properties codec", () => {
  test("encodes name\\u0001value\\u0002 per entry in insertion order", () => {
    expect(encodeMessageProperties({ TAGS: "a", KEYS: "k1 k2" })).toBe(
      "TAGS\u0001a\u0002KEYS\u0001k1 k2\u0002",
    );
    expect(encodeMessageProperties({})).toBe("");
  });

  test("round-trips unicode and empty values", () => {
    const props = { TAGS: "täg", UNIQ_KEY: "7F00", EMPTY: "", 中文: "值" };
    expect(decodeMessageProperties(encodeMessageProperties(props))).toEqual(props);
    const bytes = new TextEncoder().encode(encodeMessageProperties(props));
    expect(decodeMessagePropertiesBytes(bytes)).toEqual(props);
  });

  test("decodes a missing trailing separator and skips entries without a name/value separator", () => {
    expect(decodeMessageProperties("A\u0001x\u0002B\u0001y")).toEqual({ A: "x", B: "y" });
    expect(decodeMessageProperties("junk\u0002A\u00011\u0002\u0002")).toEqual({ A: "1" });
    expect(decodeMessageProperties("")).toEqual({});
  });

  test("rejects separators inside names or values with MESSAGE_ILLEGAL", () => {
    const bads: Record<string, string>[] = [{ "a\u0001": "x" }, { a: "x\u0002y" }, { "": "x" }];
    for (const bad of bads) {
      try {
        encodeMessageProperties(bad);
        throw new Error("expected a throw");
      } catch (e) {
        expect(e).toBeInstanceOf(MqError);
        expect((e as MqError).code).toBe(ResponseCode.MESSAGE_ILLEGAL);
      }
    }
  });

  test("invalid UTF-8 decodes to replacement chars, not an exception", () => {
    const props = decodeMessagePropertiesBytes(new Uint8Array([0x41, 0x01, 0xff, 0xfe, 0x02]));
    expect(props).toEqual({ A: "\ufffd\ufffd" });
  });

  test("measure + write give exactly TextEncoder's bytes of the encoded string, without the omitted entry", () => {
    const cases: Record<string, string>[] = [
      {},
      { TAGS: "a", KEYS: "k1 k2", UNIQ_KEY: "7F00" },
      { täg: "wört", 中文: "值", emoji: "a\u{1F600}b", lone: "x\ud800y\udc00z", end: "\ud83d" },
      { e: "", "\u07ff": "\u0800\uffff" },
    ];
    for (const props of cases) {
      for (const omit of [null, "UNIQ_KEY", "KEYS"]) {
        const kept = Object.fromEntries(Object.entries(props).filter(([k]) => k !== omit));
        const expected = new TextEncoder().encode(encodeMessageProperties(kept));
        expect(measureMessageProperties(props, omit)).toBe(expected.length);
        const target = new Uint8Array(expected.length + 8).fill(0xee);
        expect(writeMessageProperties(props, omit, target, 3)).toBe(3 + expected.length);
        expect(target.subarray(3, 3 + expected.length)).toEqual(expected);
        expect(target[2]).toBe(0xee);
        expect(target[3 + expected.length]).toBe(0xee);
      }
    }
  });

  test("measure rejects what encodeMessageProperties rejects, and skips undefined values", () => {
    const bads: Record<string, string>[] = [
      { "a\u0001": "x" },
      { a: "x\u0002y" },
      { "": "x" },
      { a: 5 as unknown as string },
    ];
    for (const bad of bads) {
      expect(() => measureMessageProperties(bad, null)).toThrow(MqError);
    }
    const sparse = { A: "1", B: undefined as unknown as string };
    expect(measureMessageProperties(sparse, null)).toBe(4);
  });
});
