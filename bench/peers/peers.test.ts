import { runTargetCases } from "../harness/target.cases.ts";
import { createNatsJetStreamTarget, createRabbitMqTarget, createRedisStreamsTarget } from "./index.ts";

// Needs the Debian packages that setup.sh installs (nats-server, rabbitmq-server, redis-server).
runTargetCases("NATS JetStream", () => createNatsJetStreamTarget());
runTargetCases("RabbitMQ quorum queue", () => createRabbitMqTarget({ queueType: "quorum" }));
runTargetCases("RabbitMQ stream", () => createRabbitMqTarget({ queueType: "stream" }));
runTargetCases("Redis Streams, appendfsync always", () =>
  createRedisStreamsTarget({ appendfsync: "always" }),
);
runTargetCases("Redis Streams, appendfsync everysec", () =>
  createRedisStreamsTarget({ appendfsync: "everysec" }),
);
