import { MqError } from "../../proto/error.ts";
import { decodeMessagePropertiesBytes } from "../../proto/message/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";

/** One message of a SEND_BATCH_MESSAGE body. */
export interface BatchEntry {
  flag: number;
  body: Uint8Array;
  properties: Record<string, string>;
}

const HEAD = 4 + 4 + 4 + 4 + 4;

/**
 * Decodes a SEND_BATCH_MESSAGE body (MessageDecoder.encodeMessages): messages back to back, each
 * `totalSize int32 | magic int32 | bodyCRC int32 | flag int32 | bodyLen int32 + body | propertiesLen int16 +
 * properties`. Any inconsistency is MESSAGE_ILLEGAL; nothing is half-accepted.
 */
export function decodeBatchBody(bytes: Uint8Array | undefined): BatchEntry[] {
  if (!bytes || bytes.length === 0)
    throw new MqError(ResponseCode.MESSAGE_ILLEGAL, "the batch body is empty");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BatchEntry[] = [];
  let at = 0;
  while (at < bytes.length) {
    const bad = (why: string) =>
      new MqError(
        ResponseCode.MESSAGE_ILLEGAL,
        `malformed batch body at byte ${at} (message ${out.length}): ${why}`,
      );
    if (at + HEAD + 2 > bytes.length) throw bad("truncated header");
    const totalSize = view.getInt32(at);
    if (totalSize < HEAD + 2 || at + totalSize > bytes.length) throw bad(`size ${totalSize} out of range`);
    const flag = view.getInt32(at + 12);
    const bodyLength = view.getInt32(at + 16);
    const bodyAt = at + HEAD;
    if (bodyLength < 0 || bodyAt + bodyLength + 2 > at + totalSize) throw bad(`body length ${bodyLength}`);
    const propertiesLength = view.getInt16(bodyAt + bodyLength);
    const propertiesAt = bodyAt + bodyLength + 2;
    if (propertiesLength < 0 || propertiesAt + propertiesLength !== at + totalSize)
      throw bad(`properties length ${propertiesLength} does not fill the message`);
    out.push({
      flag,
      body: bytes.subarray(bodyAt, bodyAt + bodyLength),
      properties: decodeMessagePropertiesBytes(bytes.subarray(propertiesAt, propertiesAt + propertiesLength)),
    });
    at += totalSize;
  }
  return out;
}

const utf8 = new TextEncoder();

/** The inverse, for clients and tests (MessageDecoder.encodeMessages). */
export function encodeBatchBody(
  entries: ReadonlyArray<{ flag?: number; body: Uint8Array; properties: string }>,
): Uint8Array {
  const encoded = entries.map((e) => ({ ...e, props: utf8.encode(e.properties) }));
  const size = encoded.reduce((n, e) => n + HEAD + e.body.length + 2 + e.props.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of encoded) {
    const total = HEAD + e.body.length + 2 + e.props.length;
    view.setInt32(at, total);
    view.setInt32(at + 12, e.flag ?? 0);
    view.setInt32(at + 16, e.body.length);
    out.set(e.body, at + HEAD);
    view.setInt16(at + HEAD + e.body.length, e.props.length);
    out.set(e.props, at + HEAD + e.body.length + 2);
    at += total;
  }
  return out;
}
