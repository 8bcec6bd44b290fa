import { runTargetCases } from "../harness/target.cases.ts";
import { createProxyTarget } from "./proxy.ts";
import { createRemotingTarget } from "./remoting.ts";

// Every bunmq target of bench:remoting, bench:proxy and bench passes the cases the peers pass (small counts).
runTargetCases("bunmq remoting, ASYNC_FLUSH", () => createRemotingTarget({ flushDiskType: "ASYNC_FLUSH" }));
runTargetCases("bunmq remoting, SYNC_FLUSH", () => createRemotingTarget({ flushDiskType: "SYNC_FLUSH" }));
runTargetCases("bunmq remoting, SEND_BATCH_MESSAGE", () =>
  createRemotingTarget({ batch: 32, publishInFlight: 8 }),
);
runTargetCases("bunmq gRPC proxy, Local mode", () => createProxyTarget({ mode: "local", protocol: "grpc" }));
runTargetCases("bunmq gRPC proxy, Cluster mode", () =>
  createProxyTarget({ mode: "cluster", protocol: "grpc" }),
);
runTargetCases("bunmq Connect over HTTP/1.1, Local mode", () => createProxyTarget({ protocol: "connect" }));
runTargetCases("bunmq gRPC proxy, batched SendMessage", () =>
  createProxyTarget({ batch: 16, publishInFlight: 4 }),
);
