import { describe, expect, test } from "bun:test";
import { sendInFlight } from "./in-flight.ts";

describe("sendInFlight", () => {
  test("sends n, never more than inFlight unanswered, reporting each answer", async () => {
    let open = 0;
    let maxOpen = 0;
    const reported: number[] = [];
    const acked = await sendInFlight(
      25,
      4,
      async () => {
        open++;
        maxOpen = Math.max(maxOpen, open);
        await new Promise((r) => setTimeout(r, 1));
        open--;
      },
      (a) => reported.push(a),
    );
    expect(acked).toBe(25);
    expect(maxOpen).toBe(4);
    expect(reported).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  test("fails with the first failed send", async () => {
    let sent = 0;
    const run = sendInFlight(
      10,
      2,
      async () => {
        if (++sent === 3) throw new Error("refused");
      },
      () => {},
    );
    await expect(run).rejects.toThrow("refused");
  });

  test("sends nothing for n = 0", async () => {
    let sent = 0;
    expect(
      await sendInFlight(
        0,
        4,
        async () => void sent++,
        () => {},
      ),
    ).toBe(0);
    expect(sent).toBe(0);
  });
});
