import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";
import { RemotingDecodeError } from "./decode-error.ts";
import { decodeJsonHeader, encodeJsonHeader } from "./json-header.ts";
import type { RemotingCommand, SerializeTypeName } from "./remoting-command.ts";
import { SerializeType } from "./remoting-command.ts";
import {
  canEncodeRocketmqHeader,
  decodeRocketmqHeader,
  rocketmqHeaderLength,
  writeRocketmqHeader,
} from "./rocketmq-header.ts";

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
  return encodeFrameAs(cmd, serializeType, cmd.opaque, cmd.flag);
}

/** encodeFrame with `opaque` and `flag` in place of the command's own (a connection stamps them on send). */
export function encodeFrameAs(
  cmd: RemotingCommand,
  serializeType: SerializeTypeName | undefined,
  opaque: number,
  flag: number,
): Uint8Array {
  return encodeFrameParts(cmd, serializeType, opaque, flag, true);
}

/**
 * The frame up to its body: length prefix (counting the body), header-length word and header, without the body's
 * bytes. Written before `cmd.body` it makes the whole frame, so a big body goes to the socket as it is instead of
 * being copied in behind the header.
 */
export function encodeFrameHeadAs(
  cmd: RemotingCommand,
  serializeType: SerializeTypeName | undefined,
  opaque: number,
  flag: number,
): Uint8Array {
  return encodeFrameParts(cmd, serializeType, opaque, flag, false);
}

function encodeFrameParts(
  cmd: RemotingCommand,
  serializeType: SerializeTypeName | undefined,
  opaque: number,
  flag: number,
  withBody: boolean,
): Uint8Array {
  let type = serializeType ?? cmd.serializeType ?? "JSON";
  if (type === "ROCKETMQ" && !canEncodeRocketmqHeader(cmd)) type = "JSON";
  const body = cmd.body;
  const bodyLength = body?.length ?? 0;
  const room = withBody ? bodyLength : 0;
  if (type === "ROCKETMQ") {
    // Straight into the frame, no header buffer to copy: sized as if all ASCII (nearly always), written again
    // at its exact UTF-8 length when it is not.
    let headerLength = rocketmqHeaderLength(cmd, true);
    checkHeaderLength(headerLength);
    let out = new Uint8Array(8 + headerLength + room);
    if (writeRocketmqHeader(cmd, opaque, flag, out, 8, true) < 0) {
      headerLength = rocketmqHeaderLength(cmd, false);
      checkHeaderLength(headerLength);
      out = new Uint8Array(8 + headerLength + room);
      writeRocketmqHeader(cmd, opaque, flag, out, 8, false);
    }
    writeFramePrefix(out, 4 + headerLength + bodyLength, SerializeType.ROCKETMQ, headerLength);
    if (body && withBody) out.set(body, 8 + headerLength);
    return out;
  }
  const header = encodeJsonHeader(cmd, opaque, flag);
  checkHeaderLength(header.length);
  const out = new Uint8Array(8 + header.length + room);
  writeFramePrefix(out, 4 + header.length + bodyLength, SerializeType.JSON, header.length);
  out.set(header, 8);
  if (body && withBody) out.set(body, 8 + header.length);
  return out;
}

function checkHeaderLength(length: number): void {
  if (length > MAX_HEADER_LENGTH) {
    throw new MqError(ResponseCode.SYSTEM_ERROR, `remoting header of ${length} bytes is over 16 MiB`);
  }
}

/** The total length and the header-length word (serialize type in the high byte). */
function writeFramePrefix(out: Uint8Array, total: number, type: number, headerLength: number): void {
  out[0] = total >>> 24;
  out[1] = total >>> 16;
  out[2] = total >>> 8;
  out[3] = total;
  out[4] = type;
  out[5] = headerLength >>> 16;
  out[6] = headerLength >>> 8;
  out[7] = headerLength;
}

/**
 * Decodes one frame given without its 4-byte total-length prefix (what the FrameDecoder yields). The body is a
 * view of `frame`, not a copy.
 */
export function decodeFrame(frame: Uint8Array): RemotingCommand {
  if (frame.length < 4) {
    throw new RemotingDecodeError(
      "FRAME_LENGTH_INVALID",
      `frame of ${frame.length} bytes has no header length`,
    );
  }
  const type = frame[0]!;
  const headerLength = (frame[1]! << 16) | (frame[2]! << 8) | frame[3]!;
  if (headerLength > frame.length - 4) {
    throw new RemotingDecodeError(
      "HEADER_LENGTH_EXCEEDS_FRAME",
      `header length ${headerLength} exceeds the frame (${frame.length - 4} bytes after the length word)`,
    );
  }
  let cmd: Mutable<RemotingCommand>;
  if (type === SerializeType.ROCKETMQ) {
    cmd = decodeRocketmqHeader(frame, 4, 4 + headerLength);
    cmd.serializeType = "ROCKETMQ";
  } else if (type === SerializeType.JSON) {
    cmd = decodeJsonHeader(frame.subarray(4, 4 + headerLength));
    cmd.serializeType = "JSON";
  } else {
    throw new RemotingDecodeError("UNKNOWN_SERIALIZE_TYPE", `unknown serialize type ${type}`);
  }
  const bodyStart = 4 + headerLength;
  if (frame.length > bodyStart) cmd.body = frame.subarray(bodyStart);
  return cmd;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface FrameDecoderOptions {
  /** Largest total length accepted (the int32 prefix's value). */
  maxFrameSize: number;
}

export const defaultFrameDecoderOptions: Readonly<FrameDecoderOptions> = Object.freeze({
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
});

/**
 * Streaming splitter: feed it bytes as they arrive, get back the complete frames. A frame that lies whole inside
 * one chunk comes back as a view of that chunk (no copy), so a chunk must not be modified after it was pushed;
 * a frame split across chunks is gathered into a buffer of its own.
 */
export interface FrameDecoder {
  /**
   * Takes `chunk` and returns every frame now complete, without its length prefix. Throws
   * RemotingDecodeError (FRAME_LENGTH_INVALID, FRAME_TOO_LARGE) as soon as a bad length prefix is seen; after
   * that the decoder stays failed and every call throws the same error.
   */
  push(chunk: Uint8Array): Uint8Array[];
  /** Bytes held for an incomplete frame. */
  readonly bufferedBytes: number;
}

export function createFrameDecoder(options: Partial<FrameDecoderOptions> = {}): FrameDecoder {
  const { maxFrameSize } = { ...defaultFrameDecoderOptions, ...options };
  /** Length prefix bytes of the next frame when a chunk ended inside them. */
  const prefix = new Uint8Array(4);
  let prefixBytes = 0;
  /** The frame being gathered across chunks (sized from its prefix), and how much of it has arrived. */
  let partial: Uint8Array | undefined;
  let partialBytes = 0;
  let failure: RemotingDecodeError | undefined;

  /** The frame length a prefix announces; throws (and stays failed) when it is not acceptable. */
  const frameLength = (b: Uint8Array, at: number): number => {
    const length = (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
    if (length < 4) {
      failure = new RemotingDecodeError("FRAME_LENGTH_INVALID", `frame length ${length} is below 4`);
    } else if (length > maxFrameSize) {
      failure = new RemotingDecodeError(
        "FRAME_TOO_LARGE",
        `frame length ${length} is over the limit of ${maxFrameSize} bytes`,
      );
    } else {
      return length;
    }
    prefixBytes = 0;
    partial = undefined;
    partialBytes = 0;
    throw failure;
  };

  return {
    push(pushed) {
      if (failure) throw failure;
      // Frames are plain Uint8Array views (as a copy was), not Buffers: Buffer.subarray costs more, per frame.
      const chunk =
        pushed.constructor === Uint8Array
          ? pushed
          : new Uint8Array(pushed.buffer, pushed.byteOffset, pushed.byteLength);
      const frames: Uint8Array[] = [];
      let pos = 0;
      // First finish what an earlier chunk started: its length prefix, then its frame.
      if (prefixBytes > 0) {
        while (prefixBytes < 4 && pos < chunk.length) prefix[prefixBytes++] = chunk[pos++]!;
        if (prefixBytes < 4) return frames;
        prefixBytes = 0;
        partial = new Uint8Array(frameLength(prefix, 0));
        partialBytes = 0;
      }
      if (partial) {
        const take = Math.min(partial.length - partialBytes, chunk.length - pos);
        partial.set(take === chunk.length ? chunk : chunk.subarray(pos, pos + take), partialBytes);
        partialBytes += take;
        pos += take;
        if (partialBytes < partial.length) return frames;
        frames.push(partial);
        partial = undefined;
        partialBytes = 0;
      }
      // Whole frames inside the chunk are views of it.
      while (chunk.length - pos >= 4) {
        const length = frameLength(chunk, pos);
        const end = pos + 4 + length;
        if (end <= chunk.length) {
          frames.push(chunk.subarray(pos + 4, end));
          pos = end;
          continue;
        }
        partial = new Uint8Array(length);
        partial.set(chunk.subarray(pos + 4), 0);
        partialBytes = chunk.length - pos - 4;
        return frames;
      }
      while (pos < chunk.length) prefix[prefixBytes++] = chunk[pos++]!;
      return frames;
    },
    get bufferedBytes() {
      return prefixBytes + (partial ? 4 + partialBytes : 0);
    },
  };
}
