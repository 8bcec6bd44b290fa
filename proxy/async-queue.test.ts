import { describe, expect, test } from "bun:test";
import { createAsyncQueue } from "./async-queue.ts";

describe("createAsyncQueue", () => {
  test("delivers pushed items in order, to a reader waiting or arriving later", async () => {
    const q = createAsyncQueue<number>();
    q.push(1);
    const it = q[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: 1, done: false });
    const pending = it.next();
    q.push(2);
    expect(await pending).toEqual({ value: 2, done: false });
    q.push(3);
    q.end();
    expect(await it.next()).toEqual({ value: 3, done: false });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  test("drops pushes after the end and reports it", () => {
    const q = createAsyncQueue<number>();
    q.end();
    expect(q.push(1)).toBe(false);
    expect(q.ended).toBe(true);
  });

  test("fails a waiting reader, after the queued items", async () => {
    const q = createAsyncQueue<string>();
    q.push("a");
    q.fail(new Error("broken"));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const x of q) seen.push(x);
      })(),
    ).rejects.toThrow("broken");
    expect(seen).toEqual(["a"]);
  });

  test("breaking out of the loop ends the queue", async () => {
    const q = createAsyncQueue<number>();
    q.push(1);
    q.push(2);
    for await (const _ of q) break;
    expect(q.ended).toBe(true);
    expect(q.push(3)).toBe(false);
  });
});
