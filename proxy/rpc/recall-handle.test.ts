import { describe, expect, test } from "bun:test";
import { readRecallHandle } from "./recall-handle.ts";

const encode = (s: string) => Buffer.from(s, "utf8").toString("base64url");

describe("readRecallHandle", () => {
  test("reads topic, broker, delivery time and message id from a broker's handle", () => {
    expect(readRecallHandle(encode("v1 T broker-a 1700000000000 01ABC"))).toEqual({
      topic: "T",
      brokerName: "broker-a",
      deliverAtMs: 1700000000000,
      messageId: "01ABC",
    });
  });

  test("accepts Java's padded base64url too", () => {
    const padded = Buffer.from("v1 T b 1 id", "utf8")
      .toString("base64")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    expect(padded.endsWith("=")).toBe(true);
    expect(readRecallHandle(padded)?.brokerName).toBe("b");
  });

  test("refuses anything else", () => {
    for (const bad of [
      "",
      "broker-a something",
      "not base64!",
      encode("v2 T b 1 id"),
      encode("v1 T b 1"),
      encode("v1 T b notanumber id"),
      encode("v1  b 1 id"),
      encode("v1 T b/c 1 id"),
      encode("v1 T b 1 id extra"),
      "A".repeat(4096),
    ])
      expect(readRecallHandle(bad)).toBeUndefined();
  });
});
