import { describe, expect, test } from "bun:test";
import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import { readHeader, toExtFields } from "./custom-header.ts";

const pullHeader = {
  consumerGroup: "string",
  topic: "string",
  queueId: "int",
  queueOffset: "long",
  subscription: "string?",
  suspendTimeoutMillis: "long?",
  lite: "bool?",
} as const;

function rejects(extFields: Record<string, string>, message: string) {
  try {
    readHeader({ extFields }, pullHeader);
  } catch (err) {
    expect(err).toBeInstanceOf(MqError);
    expect((err as MqError).code).toBe(ResponseCode.INVALID_PARAMETER);
    expect((err as MqError).message).toBe(message);
    return;
  }
  throw new Error(`expected "${message}"`);
}

const base = { consumerGroup: "g", topic: "T", queueId: "3", queueOffset: "9007199254740991" };

describe("readHeader", () => {
  test("reads typed values and leaves absent optional fields out", () => {
    const h = readHeader({ extFields: { ...base, lite: "TRUE", unknownKey: "x" } }, pullHeader);
    expect(h).toEqual({ consumerGroup: "g", topic: "T", queueId: 3, queueOffset: 2 ** 53 - 1, lite: true });
    // typed: h.queueId is a number, h.subscription string | undefined
    const n: number = h.queueId;
    const s: string | undefined = h.subscription;
    expect([n, s]).toEqual([3, undefined]);
  });

  test("reads bools in any case", () => {
    for (const [raw, value] of [
      ["true", true],
      ["false", false],
      ["False", false],
      ["tRUE", true],
    ] as const) {
      expect(readHeader({ extFields: { ...base, lite: raw } }, pullHeader).lite).toBe(value);
    }
  });

  test("keeps an empty string for a string field", () => {
    expect(readHeader({ extFields: { ...base, topic: "" } }, pullHeader).topic).toBe("");
  });

  test("names a missing required key", () => {
    rejects({ consumerGroup: "g", queueId: "1", queueOffset: "0" }, 'header field "topic" is missing');
  });

  test("names a key whose value has the wrong type", () => {
    rejects({ ...base, queueId: "abc" }, 'header field "queueId" must be an int, got "abc"');
    rejects({ ...base, queueId: "" }, 'header field "queueId" must be an int, got ""');
    rejects({ ...base, queueId: "1.5" }, 'header field "queueId" must be an int, got "1.5"');
    rejects({ ...base, queueId: "2147483648" }, 'header field "queueId" must be an int, got "2147483648"');
    rejects(
      { ...base, queueOffset: "9007199254740993" },
      'header field "queueOffset" must be a long, got "9007199254740993"',
    );
    rejects({ ...base, lite: "yes" }, 'header field "lite" must be true or false, got "yes"');
  });

  test("accepts int bounds and signs", () => {
    expect(readHeader({ extFields: { ...base, queueId: "-2147483648" } }, pullHeader).queueId).toBe(
      -(2 ** 31),
    );
    expect(readHeader({ extFields: { ...base, queueId: "+7" } }, pullHeader).queueId).toBe(7);
  });

  test("parses integers exactly, refusing what is not a plain decimal", () => {
    const int = (queueOffset: string) =>
      readHeader({ extFields: { ...base, queueOffset } }, pullHeader).queueOffset;
    expect(int("007")).toBe(7);
    expect(int("-12")).toBe(-12);
    expect(int("123456789012345")).toBe(123456789012345); // 15 digits, the fast path's longest
    expect(int("1234567890123456")).toBe(1234567890123456);
    expect(int("-9007199254740991")).toBe(-(2 ** 53 - 1));
    for (const bad of ["-", "+", "1e3", " 1", "1 ", "0x10", "١٢", "12a"]) {
      rejects({ ...base, queueOffset: bad }, `header field "queueOffset" must be a long, got "${bad}"`);
    }
  });

  test("reads fields under their wire names and names the field in errors", () => {
    const schema = { topic: "string", queueId: "int?" } as const;
    const wire = { topic: "b", queueId: "e" };
    expect(readHeader({ extFields: { b: "T", e: "2", topic: "ignored" } }, schema, wire)).toEqual({
      topic: "T",
      queueId: 2,
    });
    expect(() => readHeader({ extFields: { topic: "T" } }, schema, wire)).toThrow(
      'header field "topic" is missing',
    );
    expect(() => readHeader({ extFields: { b: "T", e: "x" } }, schema, wire)).toThrow(
      'header field "queueId" must be an int, got "x"',
    );
  });

  test("does not take keys inherited from Object.prototype as present", () => {
    expect(() => readHeader({ extFields: {} }, { toString: "string" })).toThrow(
      'header field "toString" is missing',
    );
    expect(() => readHeader({ extFields: {} }, { constructor: "int" })).toThrow(
      'header field "constructor" is missing',
    );
    expect(Object.keys(readHeader({ extFields: {} }, { hasOwnProperty: "bool?" }))).toEqual([]);
  });
});

describe("toExtFields", () => {
  test("stringifies values and drops null and undefined", () => {
    expect(toExtFields({ a: 1, b: true, c: 10n, d: "x", e: undefined, f: null })).toEqual({
      a: "1",
      b: "true",
      c: "10",
      d: "x",
    });
    expect(toExtFields()).toEqual({});
  });
});
