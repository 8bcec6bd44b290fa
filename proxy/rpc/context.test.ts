import { describe, expect, test } from "bun:test";
import { createCallContext } from "./context.ts";

describe("createCallContext", () => {
  test("reads each header once, on first use, trimmed; absent ones are empty", () => {
    const reads: string[] = [];
    const headers: Record<string, string> = { "x-mq-client-id": " c1 ", "x-mq-language": "HTTP" };
    const call = createCallContext({
      header: (name) => {
        reads.push(name);
        return headers[name];
      },
      signal: new AbortController().signal,
      timeoutMs: undefined,
      protocol: "grpc",
      peer: "127.0.0.1",
      now: 0,
    });
    expect(reads).toEqual([]);
    expect(call.clientId).toBe("c1");
    expect(call.clientId).toBe("c1");
    expect(call.namespace).toBe("");
    expect(call.language).toBe("HTTP");
    expect(call.clientVersion).toBe("");
    expect(reads).toEqual(["x-mq-client-id", "x-mq-namespace", "x-mq-language", "x-mq-client-version"]);
    expect(call.deadline).toBeUndefined();
    expect([call.protocol, call.peer]).toEqual(["grpc", "127.0.0.1"]);
  });

  test("makes a lazy signal only when asked, and sets the deadline from the timeout", () => {
    let made = 0;
    const controller = new AbortController();
    const call = createCallContext({
      header: () => undefined,
      signal: () => {
        made++;
        return controller.signal;
      },
      timeoutMs: 250,
      protocol: "connect",
      peer: "",
      now: 1000,
    });
    expect(made).toBe(0);
    expect(call.deadline).toBe(1250);
    controller.abort();
    expect(call.signal.aborted).toBe(true);
    expect(made).toBe(1);
  });
});
