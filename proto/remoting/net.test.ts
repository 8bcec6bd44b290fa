import { afterEach, describe, expect, test } from "bun:test";
import { MqError } from "../error.ts";
import { RequestCode } from "../request-code.ts";
import { ResponseCode } from "../response-code.ts";
import type { RemotingConnection } from "./connection.ts";
import { RemotingDecodeError } from "./decode-error.ts";
import { createFrameDecoder, decodeFrame, encodeFrame } from "./frame.ts";
import {
  createRemotingClient,
  createRemotingServer,
  defaultSocketApi,
  type RemotingClient,
  type SocketApi,
} from "./net.ts";
import { createRequest, createResponse, isResponse, type RemotingCommand } from "./remoting-command.ts";

const ECHO = 9001;
const SLOW = 9002;
const utf8 = (s: string) => new TextEncoder().encode(s);

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

async function rejection(promise: Promise<unknown>): Promise<MqError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(MqError);
    return err as MqError;
  }
  throw new Error("expected a rejection");
}

/** A bare TCP peer that sends raw bytes and collects decoded frames, to poke the server with bad input. */
async function rawPeer(port: number) {
  const decoder = createFrameDecoder();
  const state = { closed: false, frames: [] as RemotingCommand[] };
  const outbox: Uint8Array[] = [];
  const flush = (socket: { write(b: Uint8Array): number }) => {
    while (outbox.length > 0) {
      const written = socket.write(outbox[0]);
      if (written < 0) return;
      if (written < outbox[0].length) {
        outbox[0] = outbox[0].subarray(written);
        return;
      }
      outbox.shift();
    }
  };
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      data: (_s, chunk) => {
        state.frames.push(...decoder.push(chunk).map(decodeFrame));
      },
      drain: (s) => flush(s),
      close: () => {
        state.closed = true;
      },
    },
  });
  return {
    state,
    send: (bytes: Uint8Array) => {
      outbox.push(bytes);
      if (outbox.length === 1) flush(socket);
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    end: () => socket.end(),
  };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Every case runs over both socket APIs: Bun's (the default on Bun) and node:net (Deno's path). */
function remotingCases(sockets: SocketApi) {
  async function startServer(options: Parameters<typeof createRemotingServer>[0] = {}) {
    const errors: unknown[] = [];
    const slowRequests: Array<() => void> = [];
    const server = createRemotingServer({
      host: "127.0.0.1",
      port: 0,
      onError: (e) => errors.push(e),
      sockets,
      ...options,
    });
    server.handle(ECHO, async (cmd) => {
      // answer out of order to exercise opaque correlation
      await Bun.sleep(Number(cmd.extFields.delay ?? 0));
      return createResponse(
        cmd,
        ResponseCode.SUCCESS,
        undefined,
        { ...cmd.extFields, echoed: "yes" },
        cmd.body,
      );
    });
    server.handle(
      SLOW,
      (cmd) => new Promise((resolve) => slowRequests.push(() => resolve(createResponse(cmd, 0)))),
    );
    const port = await server.start();
    cleanups.push(() => server.close());
    return { server, port, addr: `127.0.0.1:${port}`, errors, slowRequests };
  }

  function startClient(options: Parameters<typeof createRemotingClient>[0] = {}): RemotingClient {
    const client = createRemotingClient({
      connectTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      sockets,
      ...options,
    });
    cleanups.push(() => client.close());
    return client;
  }

  describe(`remoting server and client (${sockets} sockets)`, () => {
    test("correlates 500 concurrent requests answered out of order", async () => {
      const { addr } = await startServer();
      const client = startClient();
      const results = await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          client.invoke(addr, createRequest(ECHO, { i, delay: (i * 7) % 11 }, utf8(`body-${i}`))),
        ),
      );
      results.forEach((res, i) => {
        expect(res.code).toBe(ResponseCode.SUCCESS);
        expect(res.extFields.i).toBe(String(i));
        expect(new TextDecoder().decode(res.body)).toBe(`body-${i}`);
      });
    });

    test("reuses one connection per address", async () => {
      const { addr, server } = await startServer();
      const client = startClient();
      await Promise.all([1, 2, 3].map(() => client.invoke(addr, createRequest(ECHO))));
      await client.invoke(addr, createRequest(ECHO));
      expect(server.connections()).toHaveLength(1);
    });

    test("answers an unknown request code with REQUEST_CODE_NOT_SUPPORTED naming the code", async () => {
      const { addr } = await startServer();
      const res = await startClient().invoke(addr, createRequest(4242));
      expect(res.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
      expect(res.remark).toContain("4242");
    });

    test("turns a handler's throw into a response: MqError keeps its code, anything else is SYSTEM_ERROR", async () => {
      const { server, addr } = await startServer();
      server.handle(1, () => {
        throw new MqError(ResponseCode.TOPIC_NOT_EXIST, "topic X does not exist");
      });
      server.handle(2, async () => {
        throw new TypeError("oops");
      });
      server.handle(3, () => undefined as unknown as RemotingCommand);
      const client = startClient();
      const r1 = await client.invoke(addr, createRequest(1));
      expect([r1.code, r1.remark]).toEqual([ResponseCode.TOPIC_NOT_EXIST, "topic X does not exist"]);
      const r2 = await client.invoke(addr, createRequest(2));
      expect([r2.code, r2.remark]).toEqual([ResponseCode.SYSTEM_ERROR, "oops"]);
      const r3 = await client.invoke(addr, createRequest(3));
      expect(r3.code).toBe(ResponseCode.SYSTEM_ERROR);
    });

    test("delivers oneway requests without answering them", async () => {
      const { server, port } = await startServer();
      const seen: string[] = [];
      server.handle(RequestCode.UPDATE_CONSUMER_OFFSET, (cmd) => {
        seen.push(cmd.extFields.n);
        return createResponse(cmd, ResponseCode.SUCCESS);
      });
      const client = startClient();
      await client.invokeOneway(
        `127.0.0.1:${port}`,
        createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { n: "a" }),
      );
      await waitFor(() => seen.length === 1, "the oneway request");
      expect(seen).toEqual(["a"]);

      // over a raw socket: the oneway request gets nothing back, the next request gets its answer first
      const peer = await rawPeer(port);
      const oneway = { ...createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { n: "b" }), opaque: 1, flag: 2 };
      peer.send(encodeFrame(oneway));
      peer.send(encodeFrame({ ...createRequest(ECHO), opaque: 2 }));
      await waitFor(() => peer.state.frames.length === 1, "the echo response");
      expect(peer.state.frames[0].opaque).toBe(2);
      expect(seen).toEqual(["a", "b"]);
      peer.end();
    });

    test("times out a request with RPC_TIME_OUT and keeps the connection usable", async () => {
      const { addr, slowRequests } = await startServer();
      const client = startClient();
      const err = await rejection(client.invoke(addr, createRequest(SLOW), 100));
      expect(err.code).toBe(ResponseCode.RPC_TIME_OUT);
      expect(err.message).toMatch(/within \d+ ms/);
      slowRequests[0](); // the late answer is dropped
      const res = await client.invoke(addr, createRequest(ECHO, { after: "timeout" }));
      expect(res.extFields.after).toBe("timeout");
    });

    test("lets the server invoke and notify a client over the connection it came on", async () => {
      const { server, addr } = await startServer();
      let clientConnection: RemotingConnection | undefined;
      server.handle(RequestCode.HEART_BEAT, (cmd, ctx) => {
        clientConnection = ctx.connection;
        expect(ctx.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
        return createResponse(cmd, ResponseCode.SUCCESS);
      });
      const client = startClient();
      const notified: string[] = [];
      client.handle(RequestCode.CHECK_TRANSACTION_STATE, (cmd) =>
        createResponse(cmd, ResponseCode.SUCCESS, undefined, { state: `checked ${cmd.extFields.msgId}` }),
      );
      client.handle(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (cmd) => {
        notified.push(cmd.extFields.consumerGroup);
        return createResponse(cmd, ResponseCode.SUCCESS);
      });
      await client.invoke(addr, createRequest(RequestCode.HEART_BEAT));
      expect(clientConnection).toBeDefined();

      const answer = await clientConnection!.invoke(
        createRequest(RequestCode.CHECK_TRANSACTION_STATE, { msgId: "M1" }),
        2000,
      );
      expect(answer.extFields.state).toBe("checked M1");
      clientConnection!.invokeOneway(
        createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: "g" }),
      );
      await waitFor(() => notified.length === 1, "the notification");
      // the client does not know this code either
      const unknown = await clientConnection!.invoke(createRequest(777), 2000);
      expect(unknown.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    });

    test("runs onClose hooks and fails pending invokes when a connection closes", async () => {
      const { server, addr } = await startServer();
      let closedOnServer = 0;
      server.handle(RequestCode.HEART_BEAT, (cmd, ctx) => {
        ctx.connection.onClose(() => closedOnServer++);
        return createResponse(cmd, 0);
      });
      const client = startClient();
      await client.invoke(addr, createRequest(RequestCode.HEART_BEAT));
      const pending = client.invoke(addr, createRequest(SLOW), 5000);
      await waitFor(() => server.connections().length === 1, "the connection");
      for (const c of server.connections()) c.close();
      const err = await rejection(pending);
      expect(err.code).toBe(ResponseCode.RPC_SEND_TO_CHANNEL_FAILED);
      expect(closedOnServer).toBe(1);

      // the client dials again on the next request
      const res = await client.invoke(addr, createRequest(ECHO, { again: 1 }));
      expect(res.extFields.again).toBe("1");
    });

    test("reports connect failures and bad addresses with client codes", async () => {
      const client = startClient({ connectTimeoutMs: 1000 });
      const probe = createRemotingServer({ host: "127.0.0.1", sockets });
      const freePort = await probe.start();
      await probe.close();
      const refused = await rejection(client.invoke(`127.0.0.1:${freePort}`, createRequest(ECHO)));
      expect(refused.code).toBe(ResponseCode.RPC_SEND_TO_CHANNEL_FAILED);
      for (const bad of ["", "nohost", "127.0.0.1:", "127.0.0.1:99999", ":80"]) {
        expect((await rejection(client.invoke(bad, createRequest(ECHO)))).code).toBe(
          ResponseCode.RPC_ADDR_IS_NULL,
        );
      }
      await client.close();
      expect((await rejection(client.invoke("127.0.0.1:1", createRequest(ECHO)))).code).toBe(
        ResponseCode.RPC_SEND_TO_CHANNEL_FAILED,
      );
    });

    test("moves 4 MiB bodies both ways, several at once (partial writes and drain)", async () => {
      const { addr } = await startServer();
      const client = startClient({ requestTimeoutMs: 20_000 });
      const bodies = [1, 2, 3, 4].map((seed) => {
        const b = new Uint8Array(4 * 1024 * 1024);
        for (let i = 0; i < b.length; i += 4096) b[i] = (i / 4096 + seed) & 0xff;
        return b;
      });
      const results = await Promise.all(
        bodies.map((body) => client.invoke(addr, createRequest(ECHO, {}, body))),
      );
      results.forEach((res, i) => {
        expect(res.body?.length).toBe(bodies[i].length);
        expect(Buffer.compare(res.body!, bodies[i])).toBe(0);
      });
    });

    test("answers a burst of big and small requests with whole bodies, each to its request", async () => {
      const { addr } = await startServer();
      const client = startClient({ requestTimeoutMs: 20_000 });
      // Around the size from which a response body is written as a separate part, and far from it.
      const sizes = [10, 16 * 1024 - 1, 16 * 1024, 40 * 1024, 0, 700 * 1024, 200, 64 * 1024 + 3];
      const bodies = Array.from({ length: 64 }, (_, i) => {
        const b = new Uint8Array(sizes[i % sizes.length]!);
        for (let j = 0; j < b.length; j++) b[j] = (j * 13 + i) & 0xff;
        return b;
      });
      const results = await Promise.all(
        bodies.map((body, i) => client.invoke(addr, createRequest(ECHO, { i }, body))),
      );
      results.forEach((res, i) => {
        expect(res.extFields.i).toBe(String(i));
        expect(res.body?.length ?? 0).toBe(bodies[i]!.length);
        if (bodies[i]!.length > 0) expect(Buffer.compare(res.body!, bodies[i]!)).toBe(0);
      });
    });

    test("answers a ROCKETMQ-header request with a ROCKETMQ-header response", async () => {
      const { port } = await startServer();
      const peer = await rawPeer(port);
      peer.send(encodeFrame({ ...createRequest(ECHO, { k: "ü" }), opaque: 5 }, "ROCKETMQ"));
      await waitFor(() => peer.state.frames.length === 1, "the response");
      const [res] = peer.state.frames;
      expect([res.serializeType, res.opaque, isResponse(res), res.extFields.k]).toEqual([
        "ROCKETMQ",
        5,
        true,
        "ü",
      ]);
      peer.end();
    });
  });

  describe(`bad input over a real socket (${sockets} sockets)`, () => {
    const lengthPrefix = (n: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, n);
      return b;
    };
    const notJson = () => {
      const header = utf8("this is not json");
      const frame = new Uint8Array(8 + header.length);
      new DataView(frame.buffer).setInt32(0, 4 + header.length);
      new DataView(frame.buffer).setInt32(4, header.length);
      frame.set(header, 8);
      return frame;
    };
    const randomBytes = () => {
      const b = crypto.getRandomValues(new Uint8Array(512));
      b.set([0x7f, 0x12, 0x34, 0x56]); // a length far over the limit, whatever follows
      return b;
    };
    const cases: Array<[string, () => Uint8Array, RemotingDecodeError["reason"]]> = [
      ["random bytes", randomBytes, "FRAME_TOO_LARGE"],
      ["a frame length of 2^31-1", () => lengthPrefix(2 ** 31 - 1), "FRAME_TOO_LARGE"],
      ["a negative frame length", () => lengthPrefix(-8), "FRAME_LENGTH_INVALID"],
      ["a header that is not JSON", notJson, "HEADER_NOT_JSON"],
    ];

    for (const [name, bytes, reason] of cases) {
      test(`closes the connection on ${name} and keeps serving another client`, async () => {
        const { port, addr, errors } = await startServer();
        const goodClient = startClient();
        expect((await goodClient.invoke(addr, createRequest(ECHO, { n: 1 }))).extFields.n).toBe("1");

        const peer = await rawPeer(port);
        peer.send(bytes());
        await waitFor(() => peer.state.closed, "the server to drop the bad peer");
        expect(errors.some((e) => e instanceof RemotingDecodeError && e.reason === reason)).toBe(true);

        expect((await goodClient.invoke(addr, createRequest(ECHO, { n: 2 }))).extFields.n).toBe("2");
      });
    }

    test("drops a peer whose frame is over the server's maxFrameSize; the client sees the connection fail", async () => {
      const { addr } = await startServer({ maxFrameSize: 1024 });
      const client = startClient();
      const err = await rejection(client.invoke(addr, createRequest(ECHO, {}, new Uint8Array(2048))));
      expect(err.code).toBe(ResponseCode.RPC_SEND_TO_CHANNEL_FAILED);
      expect((await client.invoke(addr, createRequest(ECHO, { small: 1 }))).extFields.small).toBe("1");
    });

    test("stops reading from a peer that leaves responses unread and catches up when it reads again", async () => {
      const { port, server } = await startServer({ pauseReadingAboveBytes: 256 * 1024 });
      const peer = await rawPeer(port);
      peer.pause();
      const count = 40;
      for (let i = 1; i <= count; i++) {
        peer.send(encodeFrame({ ...createRequest(ECHO, { i }, new Uint8Array(256 * 1024)), opaque: i }));
      }
      // the server's queue for this peer passes the pause threshold (the kernel buffers are full by then)
      await waitFor(
        () => (server.connections()[0]?.pendingWriteBytes ?? 0) > 256 * 1024,
        "responses to pile up for the peer",
        20_000,
      );
      peer.resume();
      await waitFor(() => peer.state.frames.length === count, "every response", 20_000);
      expect(peer.state.frames.map((f) => f.opaque).sort((a, b) => a - b)).toEqual(
        Array.from({ length: count }, (_, i) => i + 1),
      );
      expect(peer.state.closed).toBe(false);
      peer.end();
    });

    test("drops a peer that leaves more than maxWriteQueueBytes unread", async () => {
      const { port, addr, errors } = await startServer({
        maxWriteQueueBytes: 1024 * 1024,
        pauseReadingAboveBytes: 0,
      });
      const peer = await rawPeer(port);
      peer.pause();
      for (let i = 1; i <= 128; i++) {
        peer.send(encodeFrame({ ...createRequest(ECHO, {}, new Uint8Array(256 * 1024)), opaque: i }));
      }
      await waitFor(
        () => peer.state.closed || errors.length > 0,
        "the server to give up on the peer",
        20_000,
      );
      expect(errors.some((e) => e instanceof MqError && e.code === ResponseCode.SYSTEM_BUSY)).toBe(true);
      expect((await startClient().invoke(addr, createRequest(ECHO, { ok: 1 }))).extFields.ok).toBe("1");
    });

    test("survives a peer that disconnects halfway through a frame", async () => {
      const { port, addr, server } = await startServer();
      const peer = await rawPeer(port);
      peer.send(encodeFrame(createRequest(ECHO, {}, new Uint8Array(1000))).subarray(0, 300));
      await waitFor(() => server.connections().length === 1, "the peer's connection");
      peer.end();
      await waitFor(() => server.connections().length === 0, "the server to forget the peer");
      expect((await startClient().invoke(addr, createRequest(ECHO, { ok: 1 }))).extFields.ok).toBe("1");
    });
  });
}

remotingCases("bun");
remotingCases("node");

test("picks Bun's sockets on Bun", () => {
  expect(defaultSocketApi).toBe("bun");
});
