/**
 * Run under Deno by tests/deno-remoting.test.ts: `deno run -A tests/deno/remoting-peer.ts <bun server addr>`.
 * Serves remoting with the default socket API (node:net under Deno), checks its own client against itself and
 * against the Bun server, prints one JSON line with what it saw, and serves until SIGTERM.
 */
import {
  createRemotingClient,
  createRemotingServer,
  createRequest,
  createResponse,
  defaultSocketApi,
} from "../../proto/remoting/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";

const ECHO = 9001;
const bunAddr = process.argv[2];

const server = createRemotingServer({ host: "127.0.0.1", port: 0 });
server.handle(ECHO, (cmd) =>
  createResponse(cmd, ResponseCode.SUCCESS, undefined, { ...cmd.extFields, runtime: "deno" }, cmd.body),
);
const port = await server.start();
const client = createRemotingClient({ requestTimeoutMs: 10_000 });

// 1 MiB both ways: more than one socket write, so the drain path runs too.
const body = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff);
const self = await client.invoke(`127.0.0.1:${port}`, createRequest(ECHO, { n: 1 }, body));
const selfEcho =
  self.code === ResponseCode.SUCCESS &&
  self.extFields.runtime === "deno" &&
  self.body?.length === body.length &&
  self.body.every((b, i) => b === body[i]);

const fromBun = await client.invoke(bunAddr, createRequest(ECHO, { n: 2 }, body));

console.log(
  JSON.stringify({
    socketApi: defaultSocketApi,
    port,
    selfEcho,
    bunRuntime: fromBun.extFields.runtime,
    bunBodyLength: fromBun.body?.length ?? 0,
  }),
);

process.on("SIGTERM", async () => {
  await client.close();
  await server.close();
  process.exit(0);
});
