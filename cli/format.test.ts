import { expect, test } from "bun:test";
import { formatTimestamp, renderBody } from "./format.ts";

test("timestamps print as ISO-8601 UTC, 0 as empty", () => {
  expect(formatTimestamp(0)).toBe("");
  expect(formatTimestamp(1_700_000_000_123)).toBe("2023-11-14T22:13:20.123Z");
});

test("printable UTF-8 bodies print as text, others as base64", () => {
  expect(renderBody(new TextEncoder().encode("héllo\nwörld\t!"))).toEqual({
    encoding: "utf8",
    text: "héllo\nwörld\t!",
  });
  expect(renderBody(new Uint8Array([0xff, 0xfe, 0x00]))).toEqual({ encoding: "base64", text: "//4A" });
  expect(renderBody(new Uint8Array([0x61, 0x00, 0x62]))).toEqual({ encoding: "base64", text: "YQBi" });
  expect(renderBody(new Uint8Array())).toEqual({ encoding: "utf8", text: "" });
});
