import { expect, test } from "bun:test";
import { MqError } from "../error.ts";
import { formatSocketAddress, parseSocketAddress } from "./socket-address.ts";

test("parses IPv4 and bracketed IPv6 addresses", () => {
  const v4 = parseSocketAddress("192.168.0.10:10911");
  expect([...v4.ip]).toEqual([192, 168, 0, 10]);
  expect(v4.port).toBe(10911);
  const v6 = parseSocketAddress("[fe80::1:2]:9876");
  expect(v6.ip).toHaveLength(16);
  expect(formatSocketAddress(v6.ip, v6.port)).toBe("[fe80:0:0:0:0:0:1:2]:9876");
  expect(formatSocketAddress(v4.ip, v4.port)).toBe("192.168.0.10:10911");
});

test("rejects malformed addresses with a clear error", () => {
  for (const bad of [
    "",
    "1.2.3.4",
    "1.2.3:5",
    "1.2.3.256:1",
    "a.b.c.d:1",
    "1.2.3.4:70000",
    "::1:80",
    "[1::2::3]:1",
  ]) {
    expect(() => parseSocketAddress(bad)).toThrow(MqError);
  }
});
