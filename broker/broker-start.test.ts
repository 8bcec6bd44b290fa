import { expect, test } from "bun:test";
import { removeDir, startBroker, tempDir } from "../tests/harness.ts";

test("a broker refuses to start in controller mode, which it does not support yet, and holds nothing open", async () => {
  const dir = tempDir("bunmq-broker-ctl-");
  try {
    await expect(startBroker({ dir, config: { enableControllerMode: true } })).rejects.toThrow(
      /enableControllerMode=true is not supported/,
    );
    const running = await startBroker({ dir });
    await running.close();
  } finally {
    removeDir(dir);
  }
});
