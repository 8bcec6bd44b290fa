/**
 * The official RocketMQ 5 Node SDK (rocketmq-client-nodejs, on @grpc/grpc-js) as a publisher, for the figure
 * beside the lean gRPC generator: what an application using the SDK gets. Run by fanOut in a child process.
 */
import { Producer } from "rocketmq-client-nodejs";
import type { GeneratorJob } from "../harness/index.ts";
import { makePayload, sendInFlight } from "../harness/index.ts";

export interface SdkPublishParams {
  /** "127.0.0.1:<grpcPort>" */
  endpoints: string;
  topic: string;
  n: number;
  messageSize: number;
  /** send() calls awaiting their result at once. */
  inFlight: number;
}

// The SDK logs to ~/logs unless given a logger; errors still reach stderr (the harness shows its tail).
const quietLogger = {
  info() {},
  warn() {},
  debug() {},
  error(...args: unknown[]) {
    console.error("[sdk]", ...args);
  },
};

export const sdkPublish: GeneratorJob<SdkPublishParams> = async (p, ctl) => {
  const producer = new Producer({
    endpoints: p.endpoints,
    namespace: "",
    topics: [p.topic],
    logger: quietLogger,
  });
  await producer.startup();
  const body = Buffer.from(makePayload(p.messageSize));
  await ctl.ready();
  const acked = await sendInFlight(
    p.n,
    p.inFlight,
    () => producer.send({ topic: p.topic, body }),
    (a) => ctl.progress(a),
  );
  await producer.shutdown();
  return { count: acked };
};
