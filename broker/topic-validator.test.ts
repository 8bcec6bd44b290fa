import { describe, expect, test } from "bun:test";
import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { createSendTopicCheck } from "./topic-validator.ts";

type Check = (topic: string | undefined) => asserts topic is string;

function codeOf(fn: () => void): number | null {
  try {
    fn();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(MqError);
    return (err as MqError).code;
  }
}

describe("createSendTopicCheck", () => {
  test("passes legal topics, again and again", () => {
    const check: Check = createSendTopicCheck();
    for (let i = 0; i < 3; i++) {
      expect(codeOf(() => check("TopicA"))).toBeNull();
      expect(codeOf(() => check(`%RETRY%${"g".repeat(200)}`))).toBeNull();
    }
  });

  test("refuses illegal and forbidden names every time, also after a legal name was remembered", () => {
    const check: Check = createSendTopicCheck();
    check("TopicA");
    for (let i = 0; i < 3; i++) {
      expect(codeOf(() => check(undefined))).toBe(ResponseCode.INVALID_PARAMETER);
      expect(codeOf(() => check("  "))).toBe(ResponseCode.INVALID_PARAMETER);
      expect(codeOf(() => check("Topic A"))).toBe(ResponseCode.INVALID_PARAMETER);
      expect(codeOf(() => check("TopicA\u0000"))).toBe(ResponseCode.INVALID_PARAMETER);
      expect(codeOf(() => check("T".repeat(128)))).toBe(ResponseCode.INVALID_PARAMETER);
      expect(codeOf(() => check("SCHEDULE_TOPIC_XXXX"))).toBe(ResponseCode.NO_PERMISSION);
      expect(codeOf(() => check("rmq_sys_anything"))).toBe(ResponseCode.NO_PERMISSION);
      expect(codeOf(() => check("TBW102"))).toBe(ResponseCode.NO_PERMISSION);
    }
  });

  test("stays correct past its bound (the memory is emptied, names are checked again)", () => {
    const check: Check = createSendTopicCheck({ maxEntries: 4 });
    for (let i = 0; i < 20; i++) expect(codeOf(() => check(`T${i}`))).toBeNull();
    for (let i = 0; i < 20; i++) expect(codeOf(() => check(`T${i}`))).toBeNull();
    expect(codeOf(() => check("bad name"))).toBe(ResponseCode.INVALID_PARAMETER);
  });
});
