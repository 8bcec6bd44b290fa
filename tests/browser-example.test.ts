import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { Server } from "bun";
import { type Browser, chromium, type Page } from "playwright-core";
import { bundleExample, serveBundle } from "../examples/browser/build.ts";
import { type LocalStack, startLocalStack } from "./proxy-harness.ts";

/*
 * The browser example (examples/browser) in real headless Chromium against a Local-mode proxy: the page is
 * served from another origin than the proxy's HTTP port, so every call also goes through CORS. For Connect and
 * gRPC-Web alike: send two messages from the form, receive both, ack one, and check on the server that only the
 * unacked one comes back once the invisible time has passed.
 */

const CHROMIUM = "/usr/bin/chromium";
const INVISIBLE_MS = 30_000;

let stack: LocalStack;
let pageServer: Server<undefined>;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: install the Debian package "chromium" (apt-get install -y chromium)`,
    );
  stack = await startLocalStack();
  pageServer = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: serveBundle(await bundleExample()) });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await pageServer?.stop(true);
  await stack?.close();
});

/** Opens the page on its own origin, pointed at the proxy's HTTP port; fails on any page error. */
async function openPage(protocol: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  const url = new URL(`http://127.0.0.1:${pageServer.port}/`);
  url.searchParams.set("proxy", stack.httpUrl());
  url.searchParams.set("protocol", protocol);
  await page.goto(url.toString());
  return { page, errors };
}

async function send(page: Page, tag: string, keys: string, body: string): Promise<string> {
  await page.fill("#tag", tag);
  await page.fill("#keys", keys);
  await page.fill("#body", body);
  await page.click("#send");
  const result = page.locator("#send-result[data-code]");
  await result.waitFor({ timeout: 10_000 });
  expect(await result.textContent()).toStartWith("OK ");
  expect(await result.getAttribute("data-ok")).toBe("true");
  return (await result.getAttribute("data-message-id"))!;
}

/** Clicks Receive and resolves with the result's code and the listed messages. */
async function receive(page: Page) {
  await page.click("#receive");
  const result = page.locator("#receive-result[data-code]");
  await result.waitFor({ timeout: 15_000 });
  const items = await page.locator("#messages .message").all();
  const messages = [];
  for (const li of items)
    messages.push({
      id: await li.getAttribute("data-message-id"),
      tag: await li.locator(".tag").textContent(),
      keys: await li.locator(".keys").textContent(),
      body: await li.locator(".body").textContent(),
      attempt: await li.locator(".attempt").textContent(),
    });
  return { code: await result.getAttribute("data-code"), messages };
}

for (const protocol of ["connect", "grpc-web"] as const) {
  describe(`browser example over ${protocol}`, () => {
    const topic = `browser-${protocol}`;
    const group = `browser-${protocol}-group`;

    test("sends from the form, receives, acks one message; only the unacked one comes back", async () => {
      await stack.createTopic(topic);
      const { page, errors } = await openPage(protocol);
      await page.fill("#topic", topic);
      await page.fill("#group", group);
      await page.fill("#invisible", String(INVISIBLE_MS));
      await page.fill("#poll", "1000");

      const acked = await send(page, "TagA", "k1, shared", `first body over ${protocol}`);
      const kept = await send(page, "TagB", "k2", `second body over ${protocol}`);

      const first = await receive(page);
      expect(first.code).toBe("OK");
      const byId = new Map(first.messages.map((m) => [m.id, m]));
      expect(byId.get(acked)).toEqual({
        id: acked,
        tag: "TagA",
        keys: "k1, shared",
        body: `first body over ${protocol}`,
        attempt: "1",
      });
      expect(byId.get(kept)?.body).toBe(`second body over ${protocol}`);
      expect(byId.get(kept)?.tag).toBe("TagB");
      expect(first.messages).toHaveLength(2);

      const item = page.locator(`#messages .message[data-message-id="${acked}"]`);
      await item.locator("button.ack").click();
      await item.locator(".ack-result[data-code]").waitFor({ timeout: 10_000 });
      expect(await item.locator(".ack-result").getAttribute("data-code")).toBe("OK");
      expect(await item.getAttribute("data-acked")).toBe("true");

      // Both are invisible now: a second receive gets nothing.
      const empty = await receive(page);
      expect(empty).toEqual({ code: "MESSAGE_NOT_FOUND", messages: [] });

      // Server side: after the invisible time only the unacked message is revived, and the page gets it again.
      stack.advance(INVISIBLE_MS + 1000);
      expect(await stack.revive()).toBe(1);
      const again = await receive(page);
      expect(again.code).toBe("OK");
      expect(again.messages.map((m) => [m.id, m.attempt])).toEqual([[kept, "2"]]);
      // Ack the redelivery too, so nothing of this test is left to revive in the next one (the clock is shared).
      const redelivered = page.locator(`#messages .message[data-message-id="${kept}"]`);
      await redelivered.locator("button.ack").click();
      await redelivered.locator(".ack-result[data-code]").waitFor({ timeout: 10_000 });
      expect(await redelivered.locator(".ack-result").getAttribute("data-code")).toBe("OK");

      expect(errors).toEqual([]);
      await page.close();
    }, 45_000);
  });
}

test("the page reports a refused call (unknown topic) with its v2 code", async () => {
  const { page } = await openPage("connect");
  await page.fill("#topic", "browser-no-such-topic");
  await page.click("#send");
  const result = page.locator("#send-result[data-code]");
  await result.waitFor({ timeout: 10_000 });
  expect(await result.getAttribute("data-ok")).toBe("false");
  expect(await result.getAttribute("data-code")).toBe("TOPIC_NOT_FOUND");
  await page.close();
}, 20_000);
