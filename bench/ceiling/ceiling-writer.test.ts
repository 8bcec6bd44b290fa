import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { segmentFileName } from "../../broker/store/index.ts";
import { checkMessageRecord, decodeMessageRecord, MessageConst } from "../../proto/message/index.ts";
import { CEILING_VARIANTS, openDispatchTargets, runCeiling } from "./ceiling-writer.ts";

const TOPIC = "CeilingTopic";
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

// The ceiling only means something if it does the real work: valid records (CRC included) and, unless the variant
// skips dispatch, ConsumeQueue units and index entries the store's own readers find.
describe("bench:store-ceiling's writer", () => {
  test.each([...CEILING_VARIANTS])("%s writes valid records and dispatches them", async (variant) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bunmq-ceiling-"));
    dirs.push(dir);
    const run = await runCeiling({
      dir,
      variant,
      messages: 3000,
      bodySize: 1024,
      queues: 8,
      segmentSize: 8 * 1024 * 1024,
      topic: TOPIC,
    });
    expect(run.messages).toBe(3000);
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, "commitlog", segmentFileName(0))));
    const view = new DataView(bytes.buffer);
    const { cqs, index } = openDispatchTargets(dir);
    try {
      let pos = 0;
      for (let i = 0; i < run.messages; i++) {
        const check = checkMessageRecord(bytes, view, pos, bytes.length - pos, {
          checkCRC: true,
          expectedOffset: pos,
        });
        expect(check.kind).toBe("message");
        const m = decodeMessageRecord(bytes, pos);
        expect(m.topic).toBe(TOPIC);
        expect(m.queueId).toBe(i % 8);
        expect(m.queueOffset).toBe(Math.floor(i / 8));
        expect(m.body.length).toBe(1024);
        const uniqKey = m.properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX]!;
        expect(uniqKey).toMatch(/^[0-9A-F]{32}$/);
        const unit = cqs.find(TOPIC, m.queueId)?.unit(m.queueOffset) ?? null;
        const found = index.query(TOPIC, uniqKey, 4, 0, Number.MAX_SAFE_INTEGER);
        if (variant === "commitlog-only") {
          expect(unit).toBeNull();
          expect(found).toEqual([]);
        } else {
          expect(unit?.commitLogOffset).toBe(pos);
          expect(unit?.size).toBe(m.storeSize);
          expect(found).toContain(pos);
        }
        pos += m.storeSize;
      }
      expect(pos).toBe(run.bytes);
    } finally {
      cqs.close();
      index.close();
    }
  });
});
