/** Text renderings shared by the commands' text output. */

/** A store/born timestamp as ISO-8601 UTC, or "" for 0 (never / unknown). */
export function formatTimestamp(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "";
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Control characters other than tab, newline and carriage return make a body "binary". */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A message body as UTF-8 text when it is valid, printable UTF-8, else as base64. */
export function renderBody(body: Uint8Array): { encoding: "utf8" | "base64"; text: string } {
  try {
    const text = strictUtf8.decode(body);
    if (!CONTROL.test(text)) return { encoding: "utf8", text };
  } catch {
    // not UTF-8: fall through to base64
  }
  return {
    encoding: "base64",
    text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64"),
  };
}
