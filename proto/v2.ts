// The apache.rocketmq.v2 API (schemas, message types, enums, the MessagingService and Admin service
// descriptors), generated into proto/gen by `npm run generate`. Import it from here, never from gen/.
export * from "./gen/apache/rocketmq/v2/admin_pb.ts";
export * from "./gen/apache/rocketmq/v2/definition_pb.ts";
export * from "./gen/apache/rocketmq/v2/service_pb.ts";
