import { describe, expect, test } from "bun:test";
import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import {
  decodeMessageProperties,
  decodeMessagePropertiesBytes,
  encodeMessageProperties,
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
});
