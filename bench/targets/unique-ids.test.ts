import { describe, expect, test } from "bun:test";
import { decodeFrame } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { singleSendTemplates } from "./remoting-messages.ts";
import { findAll, ID_PLACEHOLDER, IdStamper } from "./unique-ids.ts";

describe("pre-encoded requests", () => {
  test("a SEND_MESSAGE_V2 template has its UNIQ_KEY placeholder found, once", () => {
    const [t] = singleSendTemplates("T", 1, new Uint8Array(16));
    expect(t!.uniqAt.length).toBe(1);
    const cmd = decodeFrame(t!.frame.subarray(4));
    expect(cmd.code).toBe(RequestCode.SEND_MESSAGE_V2);
    expect(cmd.extFields.i).toContain(`UNIQ_KEY\u0001${ID_PLACEHOLDER}`);
  });

  test("stamped ids are unique per stamp and per tag, and keep the frame decodable", () => {
    const [t] = singleSendTemplates("T", 1, new Uint8Array(16));
    const seen = new Set<string>();
    for (const tag of [1, 2]) {
      const ids = new IdStamper(tag);
      for (let i = 0; i < 100; i++) {
        const frame = t!.frame.slice();
        ids.stamp(frame, t!.uniqAt[0]!);
        const props = decodeFrame(frame.subarray(4)).extFields.i!;
        const key = /UNIQ_KEY\u0001([0-9A-F]{32})\u0002/.exec(props)?.[1];
        expect(key).toBeDefined();
        seen.add(key!);
      }
    }
    expect(seen.size).toBe(200);
  });

  test("findAll returns every occurrence", () => {
    const bytes = new TextEncoder().encode(`a${ID_PLACEHOLDER}b${ID_PLACEHOLDER}`);
    expect(findAll(bytes, ID_PLACEHOLDER)).toEqual([1, 34]);
  });
});
