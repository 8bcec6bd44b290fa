import { describe, expect, test } from "bun:test";
import { measureRecovery } from "./recovery.ts";
import { measureRole } from "./roles.ts";

describe("W4 per role", () => {
  for (const role of ["nameserver", "broker", "proxy"] as const) {
    test(`${role}: start-up to serving and idle RSS of its process`, async () => {
      const f = await measureRole(role, { settleMs: 200 });
      expect(f.role).toBe(role);
      expect(f.startupMs).toBeGreaterThan(0);
      expect(f.idleRssBytes).toBeGreaterThan(1024 * 1024);
      expect(f.idleCores).toBeGreaterThanOrEqual(0);
    }, 60_000);
  }
});

describe("W5 crash recovery", () => {
  test("writes the CommitLog, kills the broker with SIGKILL and finds every acked message after the restart", async () => {
    const f = await measureRecovery({ commitLogBytes: 8 * 1024 * 1024 });
    expect(f.commitLogBytes).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(f.messages).toBeGreaterThan(6000);
    expect(f.recoveryMs).toBeGreaterThan(0);
    expect(f.lostMessages).toBe(0);
  }, 120_000);
});
