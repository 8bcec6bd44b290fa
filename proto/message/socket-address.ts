import { MqError } from "../error.ts";
import { ResponseCode } from "../response-code.ts";

/** An "ip:port" address as RocketMQ stores it: 4 (IPv4) or 16 (IPv6) address bytes and a port. */
export interface SocketAddress {
  readonly ip: Uint8Array;
  readonly port: number;
}

/**
 * Parses "1.2.3.4:10911" or "[::1]:10911" (an IPv6 address must be in brackets).
 * Throws MqError(MESSAGE_ILLEGAL) on anything else.
 */
export function parseSocketAddress(s: string): SocketAddress {
  const colon = s.lastIndexOf(":");
  if (colon <= 0) throw illegal(s);
  const host = s.slice(0, colon);
  const port = parsePort(s.slice(colon + 1), s);
  if (host.startsWith("[") && host.endsWith("]")) return { ip: parseIPv6(host.slice(1, -1), s), port };
  return { ip: parseIPv4(host, s), port };
}

/** Formats like Java's InetSocketAddress host part: dotted IPv4, or 8 uncompressed hex groups in brackets. */
export function formatSocketAddress(ip: Uint8Array, port: number): string {
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}:${port}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i]! << 8) | ip[i + 1]!).toString(16));
  return `[${groups.join(":")}]:${port}`;
}

function parsePort(text: string, whole: string): number {
  if (!/^\d{1,5}$/.test(text)) throw illegal(whole);
  const port = Number(text);
  if (port > 65535) throw illegal(whole);
  return port;
}

function parseIPv4(host: string, whole: string): Uint8Array {
  const parts = host.split(".");
  if (parts.length !== 4) throw illegal(whole);
  const ip = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw illegal(whole);
    ip[i] = Number(p);
  }
  return ip;
}

function parseIPv6(host: string, whole: string): Uint8Array {
  const halves = host.split("::");
  if (halves.length > 2) throw illegal(whole);
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) throw illegal(whole);
  const groups = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  const ip = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw illegal(whole);
    const v = Number.parseInt(g, 16);
    ip[i * 2] = v >> 8;
    ip[i * 2 + 1] = v & 0xff;
  }
  return ip;
}

function illegal(s: string): MqError {
  return new MqError(ResponseCode.MESSAGE_ILLEGAL, `not an "ip:port" address: ${JSON.stringify(s)}`);
}
