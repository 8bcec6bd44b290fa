import { expect, test } from "bun:test";
import { LongPolling } from "./long-polling.ts";

test("a held request wakes when its queue gets a message, not for other queues", async () => {
  const lp = new LongPolling();
  const v = lp.version("T", 1);
  const held = lp.wait("T", 1, 10_000, v);
  let settled = false;
  held.then(() => {
    settled = true;
  });
  lp.notify("T", 0);
  lp.notify("U", 1);
  await Promise.resolve();
  expect(settled).toBe(false);
  lp.notify("T", 1);
  expect(await held).toBe("arrived");
  expect(lp.size).toBe(0);
  lp.close();
});

test("a dispatch between reading and waiting is not lost; timeouts and close end the wait", async () => {
  const lp = new LongPolling();
  const v = lp.version("T", -1);
  lp.notify("T", 3);
  expect(await lp.wait("T", -1, 10_000, v)).toBe("arrived");
  expect(await lp.wait("T", 0, 5, lp.version("T", 0))).toBe("timeout");
  const held = lp.wait("T", 0, 10_000, lp.version("T", 0));
  lp.close();
  expect(await held).toBe("closed");
  expect(await lp.wait("T", 0, 10_000, lp.version("T", 0))).toBe("closed");
});
