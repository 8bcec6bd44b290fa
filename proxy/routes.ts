import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { type ConnectRouter, createConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { MessagingService } from "../proto/v2.ts";
import { type CallContext, createCallContext } from "./rpc/context.ts";
import { transportError } from "./status.ts";

type HandlerOf<M> = M extends {
  methodKind: "unary";
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? (request: MessageShape<I>, call: CallContext) => Promise<MessageShape<O>>
  : M extends {
        methodKind: "server_streaming";
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? (request: MessageShape<I>, call: CallContext) => AsyncIterable<MessageShape<O>>
    : M extends {
          methodKind: "bidi_streaming";
          input: infer I extends DescMessage;
          output: infer O extends DescMessage;
        }
      ? (requests: AsyncIterable<MessageShape<I>>, call: CallContext) => AsyncIterable<MessageShape<O>>
      : never;

type Methods = (typeof MessagingService)["method"];

/** Set by the HTTP adapter to the client's address, replacing any copy the client sent. */
export const PEER_HEADER = "x-bunmq-peer-address";

/** One protocol-neutral handler per MessagingService RPC; the proxy's rpc/ folder provides them. */
export type MessagingHandlers = { [K in keyof Methods]: HandlerOf<Methods[K]> };

/** What the native gRPC adapter needs to serve one path. */
export type Route =
  | {
      kind: "unary";
      method: DescMethod;
      handle: (request: unknown, call: CallContext) => Promise<unknown>;
    }
  | {
      kind: "server_streaming";
      method: DescMethod;
      handle: (request: unknown, call: CallContext) => AsyncIterable<unknown>;
    }
  | {
      kind: "bidi_streaming";
      method: DescMethod;
      handle: (requests: AsyncIterable<unknown>, call: CallContext) => AsyncIterable<unknown>;
    };

export interface Routes {
  /** `/apache.rocketmq.v2.MessagingService/<Rpc>` -> route, for the native gRPC adapter. */
  grpc: Map<string, Route>;
  /** The same handlers registered once with connect-es, for Connect, gRPC-Web and Connect JSON. */
  connect: ConnectRouter;
}

export interface RoutesOptions {
  /** Largest request message (grpcMaxInboundMessageSize). */
  maxMessageSize: number;
  /** Aborts in-flight calls when the proxy shuts down. */
  shutdownSignal?: AbortSignal;
  now?: () => number;
}

/** A handler whose escaping faults become transport errors (ConnectError), the same for every protocol. */
function guarded(kind: DescMethod["methodKind"], handle: (input: unknown, call: CallContext) => unknown) {
  if (kind === "unary")
    return async (input: unknown, call: CallContext) => {
      try {
        return await handle(input, call);
      } catch (err) {
        throw transportError(err);
      }
    };
  return async function* (input: unknown, call: CallContext) {
    try {
      yield* handle(input, call) as AsyncIterable<unknown>;
    } catch (err) {
      throw transportError(err);
    }
  };
}

/** The single registration point: every MessagingService method, wired for every enabled protocol. */
export function createRoutes(handlers: MessagingHandlers, options: RoutesOptions): Routes {
  const now = options.now ?? Date.now;
  const grpc = new Map<string, Route>();
  const byName = handlers as unknown as Record<string, (input: unknown, call: CallContext) => unknown>;
  const connectImpl: Record<string, unknown> = {};

  for (const method of MessagingService.methods) {
    const handle = guarded(method.methodKind, byName[method.localName]);
    const path = `/${MessagingService.typeName}/${method.name}`;
    grpc.set(path, { kind: method.methodKind, method, handle } as Route);
    const call = (ctx: HandlerContext) =>
      createCallContext({
        header: (name) => ctx.requestHeader.get(name),
        signal: ctx.signal,
        timeoutMs: ctx.timeoutMs(),
        protocol: ctx.protocolName,
        peer: ctx.requestHeader.get(PEER_HEADER) ?? "",
        now: now(),
      });
    connectImpl[method.localName] = (input: unknown, ctx: HandlerContext) => handle(input, call(ctx));
  }

  const connect = createConnectRouter({
    // Native gRPC is served by the node:http2 adapter; over HTTP/1.1 only Connect and gRPC-Web work.
    grpc: false,
    grpcWeb: true,
    connect: true,
    readMaxBytes: options.maxMessageSize,
    shutdownSignal: options.shutdownSignal,
  });
  connect.service(MessagingService, connectImpl);
  return { grpc, connect };
}
