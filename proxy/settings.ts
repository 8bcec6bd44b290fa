import { create } from "@bufbuild/protobuf";
import type { Duration } from "@bufbuild/protobuf/wkt";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import {
  ClientType,
  MetricSchema,
  PublishingSchema,
  type RetryPolicy,
  RetryPolicySchema,
  type Settings,
  SettingsSchema,
  type Subscription,
  SubscriptionSchema,
} from "../proto/v2.ts";
import type { ConsumerGroupInfo } from "./backend/backend.ts";

/** What the proxy tells clients in its Settings reply (Telemetry) and applies to clients that never send any. */
export interface SettingsPolicy {
  /** publishing.max_body_size; the Node SDK refuses every non-empty send when this is 0. */
  maxMessageSize: number;
  /** publishing.validate_message_type: the SDK checks a message's type against the queue's accepted types. */
  validateMessageType: boolean;
  producerMaxAttempts: number;
  producerBackoffInitialMillis: number;
  producerBackoffMaxMillis: number;
  producerBackoffMultiplier: number;
  /** subscription.receive_batch_size; the Node PushConsumer uses it unchecked, so it must be > 0. */
  receiveBatchSize: number;
  /** subscription.long_polling_timeout. */
  longPollingTimeoutMillis: number;
  consumerBackoffInitialMillis: number;
  consumerBackoffMaxMillis: number;
  consumerBackoffMultiplier: number;
}

export const defaultSettingsPolicy: Readonly<SettingsPolicy> = Object.freeze({
  maxMessageSize: 4 * 1024 * 1024,
  validateMessageType: true,
  producerMaxAttempts: 3,
  producerBackoffInitialMillis: 10,
  producerBackoffMaxMillis: 1000,
  producerBackoffMultiplier: 2,
  receiveBatchSize: 32,
  longPollingTimeoutMillis: 20_000,
  consumerBackoffInitialMillis: 1000,
  consumerBackoffMaxMillis: 7_200_000,
  consumerBackoffMultiplier: 2,
});

export function durationOf(ms: number): Duration {
  const seconds = Math.floor(ms / 1000);
  return create(DurationSchema, { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 });
}

export function millisOf(d: Duration | undefined): number | undefined {
  if (!d) return undefined;
  return Number(d.seconds) * 1000 + Math.floor(d.nanos / 1_000_000);
}

// Both retry policies are exponential: the Node SDK asserts it for producers and ignores customized backoff.
function exponential(maxAttempts: number, initialMs: number, maxMs: number, multiplier: number): RetryPolicy {
  return create(RetryPolicySchema, {
    maxAttempts,
    strategy: {
      case: "exponentialBackoff",
      value: { initial: durationOf(initialMs), max: durationOf(maxMs), multiplier },
    },
  });
}

export function isConsumer(clientType: ClientType): boolean {
  return (
    clientType === ClientType.PUSH_CONSUMER ||
    clientType === ClientType.SIMPLE_CONSUMER ||
    clientType === ClientType.PULL_CONSUMER ||
    clientType === ClientType.LITE_PUSH_CONSUMER ||
    clientType === ClientType.LITE_SIMPLE_CONSUMER
  );
}

/**
 * The authoritative Settings for a client: its own settings (client type, access point, topics or subscriptions,
 * user agent) merged with the server's publishing or subscription policy. `group` is the consumer group's
 * config, when the client is a consumer.
 */
export function serverSettings(
  client: Settings,
  policy: SettingsPolicy,
  group?: ConsumerGroupInfo,
): Settings {
  const clientType = client.clientType ?? ClientType.CLIENT_TYPE_UNSPECIFIED;
  const consumer = client.pubSub.case === "subscription" || isConsumer(clientType);
  const base = {
    clientType: client.clientType,
    accessPoint: client.accessPoint,
    requestTimeout: client.requestTimeout,
    userAgent: client.userAgent,
    metric: create(MetricSchema, { on: false }),
  };
  if (consumer) {
    const sub: Subscription | undefined =
      client.pubSub.case === "subscription" ? client.pubSub.value : undefined;
    return create(SettingsSchema, {
      ...base,
      backoffPolicy: exponential(
        (group?.retryMaxTimes ?? 16) + 1,
        policy.consumerBackoffInitialMillis,
        policy.consumerBackoffMaxMillis,
        policy.consumerBackoffMultiplier,
      ),
      pubSub: {
        case: "subscription",
        value: create(SubscriptionSchema, {
          group: sub?.group,
          subscriptions: sub?.subscriptions ?? [],
          fifo: group?.consumeMessageOrderly ?? false,
          receiveBatchSize: policy.receiveBatchSize,
          longPollingTimeout: durationOf(policy.longPollingTimeoutMillis),
        }),
      },
    });
  }
  const topics = client.pubSub.case === "publishing" ? client.pubSub.value.topics : [];
  return create(SettingsSchema, {
    ...base,
    backoffPolicy: exponential(
      policy.producerMaxAttempts,
      policy.producerBackoffInitialMillis,
      policy.producerBackoffMaxMillis,
      policy.producerBackoffMultiplier,
    ),
    pubSub: {
      case: "publishing",
      value: create(PublishingSchema, {
        topics,
        maxBodySize: policy.maxMessageSize,
        validateMessageType: policy.validateMessageType,
      }),
    },
  });
}
