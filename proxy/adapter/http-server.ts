import type { ConnectRouter } from "@connectrpc/connect";
import {
  universalServerRequestFromFetch,
  universalServerResponseToFetch,
} from "@connectrpc/connect/protocol";
import type { Server } from "bun";
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { Logger } from "../../config/index.ts";
import { PEER_HEADER } from "../routes.ts";

/**
 * Connect, gRPC-Web and Connect JSON over HTTP/1.1: Hono on Bun.serve, one fetch handler per RPC from the same
 * connect router (routes.ts). This is the port browsers use; they cannot hold Telemetry's bidi stream, so every
 * other RPC works without it.
 */
export interface HttpServerOptions {
  router: ConnectRouter;
  /** Largest request body accepted (grpcMaxInboundMessageSize plus framing). */
  maxRequestBodySize: number;
  logger: Logger;
  /** Allowed CORS origins; "*" by default. */
  corsOrigin?: string | string[];
}

const allowHeaders = [
  "Content-Type",
  "Connect-Protocol-Version",
  "Connect-Timeout-Ms",
  "Connect-Accept-Encoding",
  "Connect-Content-Encoding",
  "Grpc-Timeout",
  "X-Grpc-Web",
  "X-User-Agent",
  "Authorization",
  "X-Mq-Client-Id",
  "X-Mq-Namespace",
  "X-Mq-Language",
  "X-Mq-Client-Version",
  "X-Mq-Protocol",
  "X-Mq-Request-Id",
  "X-Mq-Date-Time",
  "X-Mq-Session-Token",
];
const exposeHeaders = ["Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin", "Content-Encoding"];

/** The slice of Deno's API used here (the project's types are Bun's). */
interface DenoHttpServer {
  addr: { port: number };
  shutdown(): Promise<void>;
}
interface DenoServe {
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): DenoHttpServer;
}

export class HttpServer {
  readonly #app: Hono;
  readonly #options: HttpServerOptions;
  #server: Server<undefined> | undefined;
  #denoServer: DenoHttpServer | undefined;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    const app = new Hono();
    app.use(
      "*",
      cors({
        origin: options.corsOrigin ?? "*",
        allowMethods: ["GET", "POST", "OPTIONS"],
        allowHeaders,
        exposeHeaders,
        maxAge: 7200,
      }),
    );
    for (const handler of options.router.handlers) {
      app.on(handler.allowedMethods, handler.requestPath, async (c) => {
        // The peer address reaches the handlers as a header only this adapter sets (a client's copy is replaced).
        const ip = (c.env as Server<undefined> | undefined)?.requestIP?.(c.req.raw)?.address ?? "";
        const headers = new Headers(c.req.raw.headers);
        headers.set(PEER_HEADER, ip);
        // connect's createFetchHandler, minus a copy of the whole Request made only to carry that header.
        const request = { ...universalServerRequestFromFetch(c.req.raw, {}), header: headers };
        return universalServerResponseToFetch(await handler(request));
      });
    }
    app.get("/", (c) =>
      c.text("bunmq proxy: apache.rocketmq.v2.MessagingService over Connect and gRPC-Web\n"),
    );
    app.onError((err, c) => {
      options.logger.error({ err }, "http handler failed");
      return c.text("internal error\n", 500);
    });
    this.#app = app;
  }

  /** Listens and returns the bound port (pass 0 for a free one). */
  listen(port: number, hostname: string): number {
    const deno = (globalThis as { Deno?: DenoServe }).Deno;
    if (typeof Bun === "undefined" && deno) {
      // Deno: no Bun.serve. Deno.serve has no idle cut-off on streaming responses; connect's readMaxBytes bounds
      // request messages.
      // The routes read the peer address through Bun's server.requestIP; give them the same shape.
      this.#denoServer = deno.serve({ port, hostname, onListen: () => {} }, (request, info) =>
        this.#app.fetch(request, { requestIP: () => ({ address: info.remoteAddr.hostname }) }),
      );
      return this.#denoServer.addr.port;
    }
    this.#server = Bun.serve({
      port,
      hostname,
      fetch: this.#app.fetch,
      // Long polling (ReceiveMessage) keeps a response silent for up to the poll time: no idle cut-off.
      idleTimeout: 0,
      maxRequestBodySize: this.#options.maxRequestBodySize,
      error: (err) => {
        this.#options.logger.error({ err }, "http server error");
        return new Response("internal error\n", { status: 500 });
      },
    });
    return this.#server.port ?? port;
  }

  async close(): Promise<void> {
    await this.#server?.stop(true);
    this.#server = undefined;
    await this.#denoServer?.shutdown();
    this.#denoServer = undefined;
  }
}
