import { describe, expect, test } from "bun:test";
import { MqError } from "./error.ts";
import { ResponseCode, responseCodeName } from "./response-code.ts";

describe("MqError", () => {
  test("keeps an MqError as it is", () => {
    const e = new MqError(ResponseCode.TOPIC_NOT_EXIST, "topic T does not exist");
    expect(MqError.from(e)).toBe(e);
    expect(e.toString()).toContain("TOPIC_NOT_EXIST(17)");
  });

  test("turns anything else into SYSTEM_ERROR and keeps the cause", () => {
    const cause = new TypeError("boom");
    const e = MqError.from(cause);
    expect(e.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(e.message).toBe("boom");
    expect(e.cause).toBe(cause);
    expect(MqError.from("text").message).toBe("text");
  });

  test("names known codes and unknown ones", () => {
    expect(responseCodeName(17)).toBe("TOPIC_NOT_EXIST");
    expect(responseCodeName(9999)).toBe("CODE_9999");
  });
});
