import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { createConnectRouter } from "@connectrpc/connect";
import { createLogger } from "../../config/index.ts";
import { Code, MessagingService, QueryRouteResponseSchema } from "../../proto/v2.ts";
import { PEER_HEADER } from "../routes.ts";
import { status } from "../status.ts";
import { HttpServer } from "./http-server.ts";

describe("HttpServer", () => {
  let server: HttpServer;
  let port: number;
  beforeAll(() => {
    const router = createConnectRouter();
    // A test handler that answers with what it was given: the peer header and the topic.
    router.rpc(MessagingService.method.queryRoute, async (req, ctx) =>
      create(QueryRouteResponseSchema, {
        status: status(Code.OK, `${ctx.requestHeader.get(PEER_HEADER)}|${req.topic?.name}`),
      }),
    );
    server = new HttpServer({
      router,
      maxRequestBodySize: 1 << 20,
      logger: createLogger("proxy", { level: "silent" }),
    });
    port = server.listen(0, "127.0.0.1");
  });
  afterAll(() => server.close());

  test("hands a Connect call the client's address, replacing a copy the client sent", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/apache.rocketmq.v2.MessagingService/QueryRoute`, {
      method: "POST",
      headers: { "content-type": "application/json", [PEER_HEADER]: "10.9.9.9" },
      body: JSON.stringify({ topic: { name: "t1" } }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: { message: string } };
    const [peer, topic] = body.status.message.split("|");
    expect(topic).toBe("t1");
    expect(peer).toMatch(/127\.0\.0\.1$/);
  });

  test("answers a malformed body with a Connect error, and keeps serving", async () => {
    const url = `http://127.0.0.1:${port}/apache.rocketmq.v2.MessagingService/QueryRoute`;
    const bad = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: new Uint8Array([0xff, 0xff, 0xff]),
    });
    // connect-es reports an undecodable message as an internal error, in its JSON error shape.
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as { code: string }).code).toBe("internal");
    const ok = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(ok.status).toBe(200);
  });
});
