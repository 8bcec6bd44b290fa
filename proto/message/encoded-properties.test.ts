import { describe, expect, test } from "bun:test";
import {
  createEncodedPropertiesScan,
  decodeMessagePropertiesKeepingSource,
  encodedSourceOf,
  scanEncodedProperties,
} from "./encoded-properties.ts";
import { decodeMessageProperties } from "./properties.ts";

describe("scanEncodedProperties", () => {
  test("accepts well-formed strings and reads UNIQ_KEY, KEYS and TAGS", () => {
    const out = createEncodedPropertiesScan();
    expect(scanEncodedProperties("", out)).toBe(true);
    expect(out).toEqual({
      byteLength: 0,
      uniqKey: undefined,
      keys: undefined,
      tags: undefined,
      transient: false,
    });
    const s =
      "KEYS\u0001a b\u0002TAGS\u0001é\u0002UNIQ_KEY\u0001U1\u0002X\u0001\u0002KEYZ\u00011\u0002X\u00012\u0002";
    const into: Record<string, string> = {};
    expect(scanEncodedProperties(s, out, into)).toBe(true);
    expect(out).toEqual({
      byteLength: s.length + 1,
      uniqKey: "U1",
      keys: "a b",
      tags: "é",
      transient: false,
    });
    expect(into).toEqual(decodeMessageProperties(s));
    expect(scanEncodedProperties("A\u0001\ud83d\ude00\ud800\u0002", out)).toBe(true);
    expect(out.byteLength).toBe(2 + 4 + 3 + 1);
    expect(out.tags).toBeUndefined(); // cleared from the previous scan
  });

  test("refuses what decoding would change or encoding would refuse", () => {
    const out = createEncodedPropertiesScan();
    for (const s of [
      "A\u0001b", // unterminated
      "A\u0002", // no name/value separator
      "\u0001b\u0002", // empty name
      "A\u0001b\u0001c\u0002", // separator in the value
      "UNIQ_KEY\u0001\u0002", // empty UNIQ_KEY
      "TAGS\u0001a\u0002TAGS\u0001b\u0002",
      "KEYS\u0001a\u0002KEYS\u0001b\u0002",
      "UNIQ_KEY\u0001a\u0002UNIQ_KEY\u0001b\u0002",
      "\u0002",
    ]) {
      expect(scanEncodedProperties(s, out)).toBe(false);
    }
  });
});

describe("decodeMessagePropertiesKeepingSource", () => {
  test("decodes like decodeMessageProperties and keeps the string where copies do not carry it", () => {
    const s = "TAGS\u0001a\u0002KEYS\u0001k\u0002UNIQ_KEY\u0001U\u0002é\u0001😀\u0002";
    const p = decodeMessagePropertiesKeepingSource(s);
    expect(p).toEqual(decodeMessageProperties(s));
    expect(Object.keys(p)).toEqual(["TAGS", "KEYS", "UNIQ_KEY", "é"]);
    expect(encodedSourceOf(p)).toEqual({
      source: s,
      byteLength: Buffer.byteLength(s),
      uniqKey: "U",
      keys: "k",
      tags: "a",
      transient: false,
    });
    expect(encodedSourceOf({ ...p })).toBeUndefined();
    expect(encodedSourceOf(decodeMessageProperties(s))).toBeUndefined();
    expect(encodedSourceOf(undefined)).toBeUndefined();
    expect(
      encodedSourceOf(decodeMessagePropertiesKeepingSource("__RMQ.TRANSIENT.X\u0001y\u0002"))?.transient,
    ).toBe(true);
    expect(encodedSourceOf(decodeMessagePropertiesKeepingSource(""))?.byteLength).toBe(0);
  });

  test("keeps no string where scanEncodedProperties would refuse it, and decodes as decodeMessageProperties", () => {
    const out = createEncodedPropertiesScan();
    for (const s of [
      "A\u0001b",
      "A\u0002B\u0001c\u0002",
      "\u0001b\u0002",
      "A\u0001b\u0001c\u0002",
      "UNIQ_KEY\u0001\u0002",
      "TAGS\u0001a\u0002TAGS\u0001b\u0002",
      "KEYS\u0001a\u0002KEYS\u0001b\u0002",
      "UNIQ_KEY\u0001a\u0002UNIQ_KEY\u0001b\u0002",
    ]) {
      const p = decodeMessagePropertiesKeepingSource(s);
      expect(p).toEqual(decodeMessageProperties(s));
      expect(encodedSourceOf(p)).toBeUndefined();
      expect(scanEncodedProperties(s, out)).toBe(false);
    }
  });
});
