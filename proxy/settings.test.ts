import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { ClientType, SettingsSchema } from "../proto/v2.ts";
import { defaultSettingsPolicy, durationOf, millisOf, serverSettings } from "./settings.ts";

describe("serverSettings", () => {
  test("a producer gets exponential backoff and a positive max body size", () => {
    const client = create(SettingsSchema, {
      clientType: ClientType.PRODUCER,
      requestTimeout: durationOf(3000),
      pubSub: { case: "publishing", value: { topics: [{ name: "t1" }], validateMessageType: true } },
    });
    const s = serverSettings(client, defaultSettingsPolicy);
    expect(s.clientType).toBe(ClientType.PRODUCER);
    expect(s.backoffPolicy?.strategy.case).toBe("exponentialBackoff");
    expect(s.backoffPolicy?.maxAttempts).toBe(3);
    expect(s.pubSub.case).toBe("publishing");
    if (s.pubSub.case !== "publishing") throw new Error("unreachable");
    expect(s.pubSub.value.maxBodySize).toBe(4194304);
    expect(s.pubSub.value.validateMessageType).toBe(true);
    expect(s.pubSub.value.topics.map((t) => t.name)).toEqual(["t1"]);
    expect(millisOf(s.requestTimeout)).toBe(3000);
  });

  test("a push consumer gets fifo, batch size, long polling timeout and max attempts from its group", () => {
    const client = create(SettingsSchema, {
      clientType: ClientType.PUSH_CONSUMER,
      pubSub: {
        case: "subscription",
        value: {
          group: { name: "g" },
          subscriptions: [{ topic: { name: "t" }, expression: { expression: "*" } }],
        },
      },
    });
    const s = serverSettings(client, defaultSettingsPolicy, {
      consumerGroup: "g",
      consumeMessageOrderly: true,
      retryMaxTimes: 4,
    });
    if (s.pubSub.case !== "subscription") throw new Error("expected subscription");
    expect(s.pubSub.value.fifo).toBe(true);
    expect(s.pubSub.value.receiveBatchSize).toBeGreaterThan(0);
    expect(millisOf(s.pubSub.value.longPollingTimeout)).toBe(20_000);
    expect(s.pubSub.value.group?.name).toBe("g");
    expect(s.backoffPolicy?.maxAttempts).toBe(5);
    expect(s.backoffPolicy?.strategy.case).toBe("exponentialBackoff");
  });

  test("a consumer without a known group still gets usable defaults", () => {
    const s = serverSettings(
      create(SettingsSchema, { clientType: ClientType.SIMPLE_CONSUMER }),
      defaultSettingsPolicy,
    );
    if (s.pubSub.case !== "subscription") throw new Error("expected subscription");
    expect(s.pubSub.value.fifo).toBe(false);
    expect(s.backoffPolicy?.maxAttempts).toBe(17);
  });
});

describe("durations", () => {
  test("round-trip milliseconds", () => {
    expect(millisOf(durationOf(1500))).toBe(1500);
    expect(millisOf(durationOf(0))).toBe(0);
    expect(millisOf(undefined)).toBeUndefined();
  });
});
