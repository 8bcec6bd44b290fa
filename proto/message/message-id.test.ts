import { expect, test } from "bun:test";
import { MqError } from "../error.ts";
import { createOffsetMessageId, createOffsetMessageIdFactory, decodeOffsetMessageId } from "./message-id.ts";

test("offset message id is store ip + port + offset as 32 uppercase hex chars", () => {
  expect(createOffsetMessageId("127.0.0.1:10911", 0)).toBe("7F00000100002A9F0000000000000000");
  expect(createOffsetMessageId("10.1.2.3:10911", 0x123456789a)).toBe("0A01020300002A9F000000123456789A");
  const make = createOffsetMessageIdFactory("10.1.2.3:10911");
  expect(make(0x123456789a)).toBe("0A01020300002A9F000000123456789A");
});

test("decodes back to host and offset, IPv4 and IPv6", () => {
  expect(decodeOffsetMessageId("0A01020300002A9F000000123456789A")).toEqual({
    storeHost: "10.1.2.3:10911",
    commitLogOffset: 0x123456789a,
  });
  const v6 = createOffsetMessageId("[::1]:8080", 2 ** 40 + 5);
  expect(v6).toHaveLength(56);
  expect(decodeOffsetMessageId(v6)).toEqual({
    storeHost: "[0:0:0:0:0:0:0:1]:8080",
    commitLogOffset: 2 ** 40 + 5,
  });
});

test("rejects ids of the wrong length or with non-hex chars", () => {
  for (const bad of ["", "XYZ", "7F00000100002A9F000000000000000G", "7F00000100002A9F00000000000000"]) {
    expect(() => decodeOffsetMessageId(bad)).toThrow(MqError);
  }
});
