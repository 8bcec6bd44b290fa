import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import { RemotingDecodeError } from "./decode-error.ts";
import { decodeJsonHeader, encodeJsonHeader } from "./json-header.ts";
import type { RemotingCommand, SerializeTypeName } from "./remoting-command.ts";
import { SerializeType } from "./remoting-command.ts";
import { canEncodeRocketmqHeader, decodeRocketmqHeader, encodeRocketmqHeader } from "./rocketmq-header.ts";

/*
 * Frame: | total length int32 BE | header-length word int32 BE | header | body |
 * total length = 4 + header length + body length (it does not count itself). The header-length word's high byte
 * is the serialize type (0 JSON, 1 ROCKETMQ), its low 24 bits the header length.
 */

/** Default cap on a frame's total length: a 4 MiB message body plus room for headers. */
export const DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024 + 64 * 1024;

const MAX_HEADER_LENGTH = 0xffffff;

/**
 * Encodes a whole frame, length prefix included. The header goes as `serializeType`, else as the command's own
 * `serializeType`, else JSON; a command whose code does not fit ROCKETMQ's int16 falls back to JSON.
 */
export function encodeFrame(cmd: RemotingCommand, serializeType?: SerializeTypeName): Uint8Array {
  let type = serializeType ?? cmd.serializeType ?? "JSON";
  if (type === "ROCKETMQ" && !canEncodeRocketmqHeader(cmd)) type = "JSON";
  const header = type === "ROCKETMQ" ? encodeRocketmqHeader(cmd) : encodeJsonHeader(cmd);
  if (header.length > MAX_HEADER_LENGTH) {
    throw new MqError(ResponseCode.SYSTEM_ERROR, `remoting header of ${header.length} bytes is over 16 MiB`);
  }
  const bodyLength = cmd.body?.length ?? 0;
  const total = 4 + header.length + bodyLength;
  const out = new Uint8Array(4 + total);
  const view = new DataView(out.buffer);
  view.setInt32(0, total);
  view.setUint32(4, ((SerializeType[type] << 24) | header.length) >>> 0);
  out.set(header, 8);
  if (cmd.body) out.set(cmd.body, 8 + header.length);
  return out;
}

/** Decodes one frame given without its 4-byte total-length prefix (what the FrameDecoder yields). */
export function decodeFrame(frame: Uint8Array): RemotingCommand {
  if (frame.length < 4) {
    throw new RemotingDecodeError(
      "FRAME_LENGTH_INVALID",
      `frame of ${frame.length} bytes has no header length`,
    );
  }
  const word = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
  const type = word >>> 24;
  const headerLength = word & 0xffffff;
  if (headerLength > frame.length - 4) {
    throw new RemotingDecodeError(
      "HEADER_LENGTH_EXCEEDS_FRAME",
      `header length ${headerLength} exceeds the frame (${frame.length - 4} bytes after the length word)`,
    );
  }
  const headerBytes = frame.subarray(4, 4 + headerLength);
  let serializeType: SerializeTypeName;
  let header: ReturnType<typeof decodeJsonHeader>;
  if (type === SerializeType.JSON) {
    serializeType = "JSON";
    header = decodeJsonHeader(headerBytes);
  } else if (type === SerializeType.ROCKETMQ) {
    serializeType = "ROCKETMQ";
    header = decodeRocketmqHeader(headerBytes);
  } else {
    throw new RemotingDecodeError("UNKNOWN_SERIALIZE_TYPE", `unknown serialize type ${type}`);
  }
  const bodyStart = 4 + headerLength;
  return {
    ...header,
    ...(frame.length > bodyStart ? { body: frame.subarray(bodyStart) } : {}),
    serializeType,
  };
}

export interface FrameDecoderOptions {
  /** Largest total length accepted (the int32 prefix's value). */
  maxFrameSize: number;
}

export const defaultFrameDecoderOptions: Readonly<FrameDecoderOptions> = Object.freeze({
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
});

/** Streaming splitter: feed it bytes as they arrive, get back the complete frames (each a fresh copy). */
export interface FrameDecoder {
  /**
   * Appends `chunk` and returns every frame now complete, without its length prefix. Throws
   * RemotingDecodeError (FRAME_LENGTH_INVALID, FRAME_TOO_LARGE) as soon as a bad length prefix is seen; after
   * that the decoder stays failed and every call throws the same error.
   */
  push(chunk: Uint8Array): Uint8Array[];
  /** Bytes held for an incomplete frame. */
  readonly bufferedBytes: number;
}

export function createFrameDecoder(options: Partial<FrameDecoderOptions> = {}): FrameDecoder {
  const { maxFrameSize } = { ...defaultFrameDecoderOptions, ...options };
  let buf = new Uint8Array(0);
  let start = 0;
  let end = 0;
  let failure: RemotingDecodeError | undefined;

  const append = (chunk: Uint8Array) => {
    if (buf.length - end < chunk.length) {
      const live = end - start;
      if (live + chunk.length <= buf.length) {
        buf.copyWithin(0, start, end);
      } else {
        const grown = new Uint8Array(Math.max(buf.length * 2, live + chunk.length, 64 * 1024));
        grown.set(buf.subarray(start, end));
        buf = grown;
      }
      start = 0;
      end = live;
    }
    buf.set(chunk, end);
    end += chunk.length;
  };

  return {
    push(chunk) {
      if (failure) throw failure;
      append(chunk);
      const frames: Uint8Array[] = [];
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      while (end - start >= 4) {
        const length = view.getInt32(start);
        if (length < 4) {
          failure = new RemotingDecodeError("FRAME_LENGTH_INVALID", `frame length ${length} is below 4`);
        } else if (length > maxFrameSize) {
          failure = new RemotingDecodeError(
            "FRAME_TOO_LARGE",
            `frame length ${length} is over the limit of ${maxFrameSize} bytes`,
          );
        }
        if (failure) {
          buf = new Uint8Array(0);
          start = end = 0;
          throw failure;
        }
        if (end - start - 4 < length) break;
        frames.push(buf.slice(start + 4, start + 4 + length));
        start += 4 + length;
      }
      if (start === end) {
        start = end = 0;
        // Let a buffer grown for one big frame go, so idle connections stay small.
        if (buf.length > 1024 * 1024) buf = new Uint8Array(0);
      }
      return frames;
    },
    get bufferedBytes() {
      return end - start;
    },
  };
}
