import type { HeaderValues, RemotingCommand } from "../../proto/remoting/index.ts";
import { createResponse } from "../../proto/remoting/index.ts";
import { ResponseCode } from "../../proto/response-code.ts";

/** A SUCCESS response (no remark, as RocketMQ) with an optional header and body. */
export function ok(request: RemotingCommand, extFields?: HeaderValues, body?: Uint8Array): RemotingCommand {
  return createResponse(request, ResponseCode.SUCCESS, undefined, extFields, body);
}

const MAPPED_V4 = /^\[::ffff:(\d+\.\d+\.\d+\.\d+)\]:(\d+)$/i;

/** A peer address as records store it: IPv4-mapped IPv6 peers become plain IPv4 (old clients decode IPv4 only). */
export function bornHostOf(remoteAddress: string): string {
  if (remoteAddress.charCodeAt(0) !== 91) return remoteAddress; // not "[": plain IPv4 (every send asks)
  const m = MAPPED_V4.exec(remoteAddress);
  return m ? `${m[1]}:${m[2]}` : remoteAddress;
}
