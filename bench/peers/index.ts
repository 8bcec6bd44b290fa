/** The brokers bunmq is compared with, each as a bench Target. */
import type { Target } from "../harness/index.ts";
import { createNatsJetStreamTarget } from "./nats-jetstream.ts";
import { createRabbitMqTarget } from "./rabbitmq.ts";
import { createRedisStreamsTarget } from "./redis-streams.ts";

export { installPeers, peersSetupScript, peerVersions } from "./install.ts";
export {
  createNatsJetStreamTarget,
  defaultNatsJetStreamTargetOptions,
  NatsJetStreamTarget,
  type NatsJetStreamTargetOptions,
} from "./nats-jetstream.ts";
export {
  createRabbitMqTarget,
  defaultRabbitMqTargetOptions,
  RabbitMqTarget,
  type RabbitMqTargetOptions,
  type RabbitQueueType,
} from "./rabbitmq.ts";
export {
  createRedisStreamsTarget,
  defaultRedisStreamsTargetOptions,
  RedisStreamsTarget,
  type RedisStreamsTargetOptions,
} from "./redis-streams.ts";

/** Every peer setting of issue 8, in report order. */
export function peerTargets(): Target[] {
  return [
    createNatsJetStreamTarget(),
    createRabbitMqTarget({ queueType: "quorum" }),
    createRabbitMqTarget({ queueType: "stream" }),
    createRedisStreamsTarget({ appendfsync: "always" }),
    createRedisStreamsTarget({ appendfsync: "everysec" }),
  ];
}
