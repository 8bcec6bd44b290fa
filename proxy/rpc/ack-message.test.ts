import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Code, type Message, MessagingService } from "../../proto/v2.ts";
import { type LocalStack, startLocalStack } from "../../tests/proxy-harness.ts";

let stack: LocalStack;
let grpc: Client<typeof MessagingService>;
const headers = { "x-mq-client-id": "ack-test-client" };

beforeAll(async () => {
  stack = await startLocalStack();
  grpc = createClient(MessagingService, createGrpcTransport({ baseUrl: `http://${stack.grpcEndpoint()}` }));
});

afterAll(() => stack.close());

let seq = 0;
async function send(topic: string, bodies: string[], group?: string) {
  for (const body of bodies) {
    const res = await grpc.sendMessage({
      messages: [
        {
          topic: { name: topic },
          systemProperties: {
            messageId: `01ACK${String(Date.now()).padStart(16, "0")}${String(seq++).padStart(13, "0")}`,
            messageGroup: group,
          },
          body: new TextEncoder().encode(body),
        },
      ],
    });
    expect(res.status?.code).toBe(Code.OK);
  }
}

async function receive(topic: string, group: string): Promise<Message[]> {
  const messages: Message[] = [];
  for await (const r of grpc.receiveMessage(
    {
      group: { name: group },
      messageQueue: { topic: { name: topic } },
      batchSize: 16,
      invisibleDuration: durationFromMs(5000),
      autoRenew: false,
      longPollingTimeout: durationFromMs(500),
    },
    { headers },
  ))
    if (r.content.case === "message") messages.push(r.content.value);
  return messages;
}

const bodyOf = (m: Message) => new TextDecoder().decode(m.body);
const entryOf = (m: Message, receiptHandle = m.systemProperties!.receiptHandle!) => ({
  messageId: m.systemProperties!.messageId,
  receiptHandle,
});

describe("AckMessage with several entries", () => {
  test("acks the good entries in one batch and gives each bad one its own status", async () => {
    await stack.createTopic("ack-batch");
    await send("ack-batch", ["m0", "m1", "m2", "m3"]);
    const got: Message[] = [];
    for (let i = 0; i < 5 && got.length < 4; i++) got.push(...(await receive("ack-batch", "ack-batch-g")));
    expect(got.map(bodyOf).sort()).toEqual(["m0", "m1", "m2", "m3"]);
    const by = new Map(got.map((m) => [bodyOf(m), m]));
    const parts = by.get("m1")!.systemProperties!.receiptHandle!.split(" ");
    parts[7] = "999"; // its checkpoint, but an offset it never handed out
    const res = await grpc.ackMessage({
      group: { name: "ack-batch-g" },
      topic: { name: "ack-batch" },
      entries: [
        entryOf(by.get("m0")!),
        entryOf(by.get("m1")!, "garbage"),
        entryOf(by.get("m1")!, parts.join(" ")),
        entryOf(by.get("m2")!),
        entryOf(by.get("m3")!),
      ],
    });
    expect(res.status?.code).toBe(Code.MULTIPLE_RESULTS);
    expect(res.entries.map((e) => e.status?.code)).toEqual([
      Code.OK,
      Code.INVALID_RECEIPT_HANDLE,
      Code.INVALID_RECEIPT_HANDLE,
      Code.OK,
      Code.OK,
    ]);
    expect(res.entries[2].status?.message).toContain("not part of its pop checkpoint");
    expect(res.entries.map((e) => e.receiptHandle)[1]).toBe("garbage");

    // only m1 was left unacked
    stack.advance(6000);
    expect(await stack.revive()).toBe(1);
    const again: Message[] = [];
    for (let i = 0; i < 5 && again.length < 1; i++)
      again.push(...(await receive("ack-batch", "ack-batch-g")));
    expect(again.map(bodyOf)).toEqual(["m1"]);
    const ok = await grpc.ackMessage({
      group: { name: "ack-batch-g" },
      topic: { name: "ack-batch" },
      entries: again.map((m) => entryOf(m)),
    });
    expect(ok.status?.code).toBe(Code.OK);
  });

  test("FIFO messages acked together unblock their queue", async () => {
    await stack.createTopic("ack-fifo", "FIFO");
    await stack.createGroup("ack-fifo-g", true);
    await send("ack-fifo", ["f0", "f1"], "one-group");
    const first = await receive("ack-fifo", "ack-fifo-g");
    expect(first.map(bodyOf)).toEqual(["f0", "f1"]);
    await send("ack-fifo", ["f2"], "one-group");
    expect(await receive("ack-fifo", "ack-fifo-g")).toEqual([]); // blocked until the batch is acked
    const res = await grpc.ackMessage({
      group: { name: "ack-fifo-g" },
      topic: { name: "ack-fifo" },
      entries: first.map((m) => entryOf(m)),
    });
    expect(res.status?.code).toBe(Code.OK);
    expect((await receive("ack-fifo", "ack-fifo-g")).map(bodyOf)).toEqual(["f2"]);
  });
});
