import { describe, expect, test } from "bun:test";
import { ClientType } from "../proto/v2.ts";
import { createAsyncQueue } from "./async-queue.ts";
import { ClientSessions } from "./client-sessions.ts";

describe("ClientSessions", () => {
  test("forgets a client idle for longer than the idle time, but not one with a Telemetry stream", () => {
    let now = 0;
    const expired: string[] = [];
    const sessions = new ClientSessions({
      idleTimeMillis: 1000,
      now: () => now,
      onExpire: (s) => expired.push(s.clientId),
    });
    try {
      sessions.touch("idle", ClientType.PRODUCER);
      sessions.touch("streaming", ClientType.PRODUCER);
      const detach = sessions.attachTelemetry("streaming", createAsyncQueue());
      now = 1500;
      sessions.expireIdle();
      expect(expired).toEqual(["idle"]);
      expect(sessions.get("streaming")).toBeDefined();
      detach();
      now = 2600;
      sessions.expireIdle();
      expect(expired).toEqual(["idle", "streaming"]);
      expect(sessions.size).toBe(0);
    } finally {
      sessions.close();
    }
  });

  test("finds producers of a group that can be reached over Telemetry", () => {
    const sessions = new ClientSessions({ idleTimeMillis: 60_000 });
    try {
      sessions.touch("a").producerGroups.add("t1");
      sessions.touch("b").producerGroups.add("t1");
      sessions.attachTelemetry("b", createAsyncQueue());
      expect(sessions.reachableProducers("t1").map((s) => s.clientId)).toEqual(["b"]);
      expect(sessions.reachableProducers("t2")).toEqual([]);
    } finally {
      sessions.close();
    }
  });

  test("removing a client ends its Telemetry streams", () => {
    const sessions = new ClientSessions({ idleTimeMillis: 60_000 });
    const outbox = createAsyncQueue<never>();
    sessions.attachTelemetry("c", outbox);
    sessions.remove("c");
    expect(outbox.ended).toBe(true);
    sessions.close();
  });
});
