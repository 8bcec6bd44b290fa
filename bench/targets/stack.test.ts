import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, removeDir } from "../harness/index.ts";
import { remotingCall } from "./remoting-admin.ts";
import { BunmqStack } from "./stack.ts";

/*
 * A broker registers with the nameserver at start and then only every registerNameServerPeriod (30 s). A stack that
 * spawned both at once lost that race whenever the nameserver came up later than the broker's first attempt (4 in
 * 100 starts under load): the nameserver served, but did not know the broker for 30 s. Here the nameserver is held
 * back at process start (a preload that blocks only in bin/nameserver.ts), which makes it lose every time.
 */
describe("BunmqStack with a nameserver slower to start than the broker", () => {
  let dir = "";
  let preload = "";

  beforeAll(() => {
    dir = makeTempDir("stack-test");
    preload = join(dir, "slow-nameserver.ts");
    writeFileSync(
      preload,
      'if (process.argv.some((a) => a.endsWith("/nameserver.ts")))\n' +
        "  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);\n",
    );
  });

  afterAll(() => removeDir(dir));

  test("starts, and the nameserver knows the broker well before the broker's next registration", async () => {
    const stack = new BunmqStack({
      layout: "remoting",
      runtimeFlags: ["--preload", preload],
      // Under the 30 s registration period: only the broker's first registration can make this start.
      startTimeoutMs: 15_000,
    });
    try {
      await stack.start();
      const { namesrv, broker } = stack.addresses;
      const info = await remotingCall(namesrv, 106);
      expect(info.code).toBe(0);
      expect(new TextDecoder().decode(info.body)).toContain(broker);
    } finally {
      await stack.stop();
    }
  }, 40_000);
});
