import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";

/**
 * Why a frame could not be decoded:
 * - FRAME_LENGTH_INVALID: the total length is negative or too small to hold the header-length word;
 * - FRAME_TOO_LARGE: the total length is over the decoder's maxFrameSize (checked before buffering);
 * - HEADER_LENGTH_EXCEEDS_FRAME: the header length is bigger than the frame;
 * - UNKNOWN_SERIALIZE_TYPE: the header-length word's high byte is neither 0 (JSON) nor 1 (ROCKETMQ);
 * - HEADER_NOT_JSON: a JSON header that does not parse;
 * - HEADER_MALFORMED: a header that parses but has wrong field types, or a truncated ROCKETMQ header.
 */
export type RemotingDecodeReason =
  | "FRAME_LENGTH_INVALID"
  | "FRAME_TOO_LARGE"
  | "HEADER_LENGTH_EXCEEDS_FRAME"
  | "UNKNOWN_SERIALIZE_TYPE"
  | "HEADER_NOT_JSON"
  | "HEADER_MALFORMED";

/** An MqError (INVALID_PARAMETER) raised by the frame and header decoders; `reason` says which check failed. */
export class RemotingDecodeError extends MqError {
  readonly reason: RemotingDecodeReason;

  constructor(reason: RemotingDecodeReason, message: string, options?: { cause?: unknown }) {
    super(ResponseCode.INVALID_PARAMETER, message, options);
    this.name = "RemotingDecodeError";
    this.reason = reason;
  }
}
