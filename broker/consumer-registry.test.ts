import { expect, test } from "bun:test";
import { createConsumerRegistry, type SubscriptionData } from "./consumer-registry.ts";

const sub = (topic: string, subString = "*"): SubscriptionData => ({
  topic,
  subString,
  expressionType: "TAG",
  tagsSet: [],
  codeSet: [],
  subVersion: 1,
  classFilterMode: false,
});

test("tracks group members, subscription changes, closed channels and silent clients", () => {
  let now = 0;
  const reg = createConsumerRegistry<string>({ clock: () => now });
  const base = {
    group: "G",
    consumeType: "CONSUME_PASSIVELY",
    messageModel: "CLUSTERING",
    consumeFromWhere: "X",
  } as const;
  expect(reg.registerConsumer({ ...base, clientId: "a", channel: "ch1", subscriptions: [sub("T")] })).toEqual(
    {
      membersChanged: true,
      subscriptionsChanged: true,
    },
  );
  expect(reg.registerConsumer({ ...base, clientId: "a", channel: "ch1", subscriptions: [sub("T")] })).toEqual(
    {
      membersChanged: false,
      subscriptionsChanged: false,
    },
  );
  expect(
    reg.registerConsumer({ ...base, clientId: "b", channel: "ch2", subscriptions: [sub("T", "x")] }),
  ).toEqual({
    membersChanged: true,
    subscriptionsChanged: true,
  });
  expect(reg.consumerIds("G").sort()).toEqual(["a", "b"]);
  expect(reg.groupsSubscribedTo("T")).toEqual(["G"]);
  reg.registerProducer("PG", "a", "ch1");
  expect(reg.channelClosed("ch1")).toEqual(["G"]);
  expect(reg.consumerIds("G")).toEqual(["b"]);
  expect(reg.producers("PG")).toEqual([]);
  now = 200_000;
  expect(reg.scanExpired(120_000)).toEqual(["G"]);
  expect(reg.consumerGroup("G")).toBeUndefined();
});
