import { expect, test } from "bun:test";
import { LongPolling } from "./long-polling.ts";

test("a held request wakes when its queue gets a message, not for other queues", async () => {
  const lp = new LongPolling();
  const targets = [{ topic: "T", queueId: 1 }];
  const held = lp.wait(targets, 10_000, lp.version(targets));
  let settled = false;
  held.then(() => {
    settled = true;
  });
  lp.notify("T", 0);
  lp.notify("U", 1);
  await Promise.resolve();
  expect(settled).toBe(false);
  expect(lp.size).toBe(1);
  lp.notify("T", 1);
  expect(await held).toBe("arrived");
  expect(lp.size).toBe(0);
  lp.close();
});

test("a request waiting on several topics wakes on any of them", async () => {
  const lp = new LongPolling();
  const targets = [
    { topic: "T", queueId: -1 },
    { topic: "%RETRY%G_T", queueId: -1 },
  ];
  const held = lp.wait(targets, 10_000, lp.version(targets));
  lp.notify("%RETRY%G_T", 0);
  expect(await held).toBe("arrived");
  expect(lp.size).toBe(0);
  lp.close();
});

test("a dispatch between reading and waiting is not lost; timeouts and close end the wait", async () => {
  const lp = new LongPolling();
  const any = [{ topic: "T", queueId: -1 }];
  const q0 = [{ topic: "T", queueId: 0 }];
  const v = lp.version(any);
  lp.notify("T", 3);
  expect(await lp.wait(any, 10_000, v)).toBe("arrived");
  expect(await lp.wait(q0, 5, lp.version(q0))).toBe("timeout");
  const held = lp.wait(q0, 10_000, lp.version(q0));
  lp.close();
  expect(await held).toBe("closed");
  expect(await lp.wait(q0, 10_000, lp.version(q0))).toBe("closed");
});

test("aborting a signal shared by many held requests (a connection's) ends the ones still held", async () => {
  const lp = new LongPolling();
  const aborter = new AbortController();
  const q = (queueId: number) => [{ topic: "T", queueId }];
  const first = lp.wait(q(0), 10_000, lp.version(q(0)), aborter.signal);
  const second = lp.wait(q(1), 10_000, lp.version(q(1)), aborter.signal);
  const other = lp.wait(q(2), 10_000, lp.version(q(2)));
  lp.notify("T", 0);
  expect(await first).toBe("arrived");
  aborter.abort();
  expect(await second).toBe("timeout");
  expect(lp.size).toBe(1);
  // The aborted signal ends new waits at once; waits without it are untouched.
  expect(await lp.wait(q(3), 10_000, lp.version(q(3)), aborter.signal)).toBe("timeout");
  lp.notify("T", 2);
  expect(await other).toBe("arrived");
  lp.close();
});
