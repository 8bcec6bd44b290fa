import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  createRemotingClient,
  createRemotingServer,
  createRequest,
  createResponse,
  type RemotingClient,
  type RemotingServer,
} from "../proto/remoting/index.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { type DenoChild, spawnDeno } from "./deno/spawn-deno.ts";

/*
 * proto/remoting under Deno (node:net sockets, since Deno has no Bun global) talking to the Bun implementation
 * both ways: a Deno server and client in a child process, a Bun server and client here.
 */

const ECHO = 9001;
let bunServer: RemotingServer;
let bunClient: RemotingClient;
let deno: DenoChild | undefined;

beforeAll(async () => {
  bunServer = createRemotingServer({ host: "127.0.0.1", port: 0 });
  bunServer.handle(ECHO, (cmd) =>
    createResponse(cmd, ResponseCode.SUCCESS, undefined, { ...cmd.extFields, runtime: "bun" }, cmd.body),
  );
  await bunServer.start();
  bunClient = createRemotingClient({ requestTimeoutMs: 10_000 });
});

afterAll(async () => {
  await deno?.stop();
  await bunClient.close();
  await bunServer.close();
});

test("remoting runs under Deno on node:net and interoperates with Bun's sockets both ways", async () => {
  deno = spawnDeno("tests/deno/remoting-peer.ts", [`127.0.0.1:${bunServer.port}`]);
  const [line] = await deno.waitForLine(/^\{.*\}$/, 30_000);
  const seen = JSON.parse(line);
  expect(seen).toEqual({
    socketApi: "node",
    port: expect.any(Number),
    selfEcho: true,
    bunRuntime: "bun",
    bunBodyLength: 1024 * 1024,
  });

  // Bun client -> Deno server, with a body big enough to need several reads on the Deno side.
  const body = new Uint8Array(2 * 1024 * 1024).map((_, i) => (i * 7) & 0xff);
  const res = await bunClient.invoke(`127.0.0.1:${seen.port}`, createRequest(ECHO, { from: "bun" }, body));
  expect(res.code).toBe(ResponseCode.SUCCESS);
  expect(res.extFields).toMatchObject({ from: "bun", runtime: "deno" });
  expect(Buffer.compare(res.body!, body)).toBe(0);

  // The Deno server also answers an unknown code without dropping the connection.
  const unknown = await bunClient.invoke(`127.0.0.1:${seen.port}`, createRequest(4242));
  expect(unknown.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);

  expect(await deno.stop()).toBe(0);
}, 45_000);
