import { describe, expect, test } from "bun:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, SendMessageResponseSchema } from "../../proto/v2.ts";
import { encodeSendMessageResponse } from "./send-message-wire.ts";

const cases = {
  empty: create(SendMessageResponseSchema, {}),
  ok: create(SendMessageResponseSchema, {
    status: { code: Code.OK, message: "OK" },
    entries: [
      { status: { code: Code.OK, message: "OK" }, messageId: "0102FC0000000100000000000000000A", offset: 7n },
    ],
  }),
  several: create(SendMessageResponseSchema, {
    status: { code: Code.MULTIPLE_RESULTS, message: "entries have different results" },
    entries: [
      {
        status: { code: Code.OK, message: "OK" },
        messageId: "a",
        transactionId: "broker-a 1:2:3",
        offset: 2n ** 40n,
        recallHandle: "djEgVCBiIDEgaWQ",
      },
      { status: { code: Code.TOPIC_NOT_FOUND, message: "topic é✓ does not exist" }, messageId: "b" },
      { messageId: "", offset: 0n },
      { status: { code: 0, message: "" } },
    ],
  }),
  long: create(SendMessageResponseSchema, {
    status: { code: Code.BAD_REQUEST, message: "x".repeat(300) },
    entries: Array.from({ length: 40 }, (_, i) => ({
      messageId: `id-${i}`.repeat(10),
      offset: BigInt(i * 1000),
    })),
  }),
  negativeOffset: create(SendMessageResponseSchema, { entries: [{ messageId: "n", offset: -1n }] }),
};

describe("encodeSendMessageResponse", () => {
  for (const [name, res] of Object.entries(cases))
    test(`writes exactly what toBinary writes: ${name}`, () => {
      const out = encodeSendMessageResponse(res, 5);
      expect(Buffer.from(out.subarray(5))).toEqual(Buffer.from(toBinary(SendMessageResponseSchema, res)));
    });
});
