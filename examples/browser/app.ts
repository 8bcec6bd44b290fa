import { createExampleClient, type Outcome, type Protocol, type ReceivedMessage } from "./client.ts";

/*
 * The page's wiring: read the form, call client.ts, show what came back. Results carry data-* attributes
 * (data-ok, data-code, data-message-id, data-acked) so a test can check them without parsing text.
 */

const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};
const value = (id: string) => byId<HTMLInputElement>(id).value.trim();

// ?proxy=http://host:port&protocol=grpc-web preset the two proxy fields (handy for bookmarks and tests).
const params = new URLSearchParams(location.search);
if (params.get("proxy")) byId<HTMLInputElement>("proxy").value = params.get("proxy")!;
if (params.get("protocol")) byId<HTMLSelectElement>("protocol").value = params.get("protocol")!;

const client = () =>
  createExampleClient({
    baseUrl: value("proxy"),
    protocol: byId<HTMLSelectElement>("protocol").value as Protocol,
  });

function show(el: HTMLElement, o: Outcome, text: string) {
  el.dataset.ok = String(o.ok);
  el.dataset.code = o.code;
  el.textContent = text;
}

byId<HTMLFormElement>("send-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const out = byId("send-result");
  out.textContent = "sending...";
  delete out.dataset.code;
  const r = await client().send({
    topic: value("topic"),
    tag: value("tag"),
    keys: value("keys")
      .split(",")
      .map((k) => k.trim())
      .filter((k) => k !== ""),
    body: byId<HTMLTextAreaElement>("body").value,
  });
  out.dataset.messageId = r.messageId;
  show(out, r, r.ok ? `${r.code} ${r.messageId}` : `${r.code}: ${r.message}`);
});

function messageItem(m: ReceivedMessage, group: string): HTMLLIElement {
  const li = document.createElement("li");
  li.className = "message";
  li.dataset.messageId = m.messageId;
  const field = (cls: string, label: string, text: string) => {
    const div = document.createElement("div");
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    div.append(`${label}: `, span);
    return div;
  };
  const ack = document.createElement("button");
  ack.type = "button";
  ack.className = "ack";
  ack.textContent = "Ack";
  const result = document.createElement("span");
  result.className = "ack-result result";
  ack.addEventListener("click", async () => {
    ack.disabled = true;
    const r = await client().ack(group, m);
    show(result, r, r.ok ? r.code : `${r.code}: ${r.message}`);
    li.dataset.acked = String(r.ok);
    ack.disabled = r.ok;
  });
  li.append(
    field("message-id", "id", m.messageId),
    field("tag", "tag", m.tag),
    field("keys", "keys", m.keys.join(", ")),
    field("attempt", "delivery attempt", String(m.deliveryAttempt)),
    field("body", "body", m.body),
    ack,
    result,
  );
  return li;
}

byId("receive").addEventListener("click", async () => {
  const out = byId("receive-result");
  const list = byId("messages");
  out.textContent = "receiving...";
  delete out.dataset.code;
  list.replaceChildren();
  const group = value("group");
  const r = await client().receive({
    consumerGroup: group,
    topic: value("topic"),
    invisibleMillis: Number(value("invisible")),
    longPollingMillis: Number(value("poll")),
    batchSize: 16,
  });
  list.replaceChildren(...r.messages.map((m) => messageItem(m, group)));
  out.dataset.count = String(r.messages.length);
  show(out, r, `${r.code}${r.message ? `: ${r.message}` : ""} (${r.messages.length} messages)`);
});
