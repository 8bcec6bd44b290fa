import { RemotingDecodeError } from "./decode-error.ts";
import { languageFromByte } from "./language-code.ts";
import type { RemotingCommand } from "./remoting-command.ts";

export type CommandHeader = Omit<RemotingCommand, "body" | "serializeType">;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * JSON header in fastjson's field order (alphabetical), as a Java peer writes it; `opaque` and `flag` replace the
 * command's own when given.
 */
export function encodeJsonHeader(cmd: RemotingCommand, opaque = cmd.opaque, flag = cmd.flag): Uint8Array {
  const header: Record<string, unknown> = {
    code: cmd.code,
    extFields: cmd.extFields,
    flag,
    language: cmd.language,
    opaque,
  };
  if (cmd.remark !== undefined) header.remark = cmd.remark;
  header.serializeTypeCurrentRPC = "JSON";
  header.version = cmd.version;
  return utf8Encoder.encode(JSON.stringify(header));
}

function malformed(message: string): RemotingDecodeError {
  return new RemotingDecodeError("HEADER_MALFORMED", message);
}

function intField(header: Record<string, unknown>, key: string): number {
  const value = header[key];
  if (value === undefined || value === null) return 0; // fastjson leaves a missing int at its default
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw malformed(`JSON header field "${key}" must be an integer`);
  }
  return value;
}

/**
 * Reads a JSON header. Lenient where peers differ: a missing number is 0, `language` may be a name or a byte,
 * extFields values that are numbers or booleans (ali-ons sends them) become strings, null values are dropped.
 */
export function decodeJsonHeader(bytes: Uint8Array): CommandHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decoder.decode(bytes));
  } catch (err) {
    throw new RemotingDecodeError("HEADER_NOT_JSON", "remoting header is not valid JSON", { cause: err });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw malformed("JSON header is not an object");
  }
  const header = parsed as Record<string, unknown>;

  let language = "JAVA";
  if (typeof header.language === "string") language = header.language;
  else if (typeof header.language === "number") language = languageFromByte(header.language);
  else if (header.language !== undefined && header.language !== null) {
    throw malformed('JSON header field "language" must be a name');
  }

  let remark: string | undefined;
  if (typeof header.remark === "string") remark = header.remark;
  else if (header.remark !== undefined && header.remark !== null) {
    throw malformed('JSON header field "remark" must be a string');
  }

  const extFields: Record<string, string> = {};
  const rawExt = header.extFields;
  if (rawExt !== undefined && rawExt !== null) {
    if (typeof rawExt !== "object" || Array.isArray(rawExt)) {
      throw malformed('JSON header field "extFields" must be an object');
    }
    for (const [key, value] of Object.entries(rawExt as Record<string, unknown>)) {
      if (value === null || value === undefined) continue;
      extFields[key] = typeof value === "object" ? JSON.stringify(value) : String(value);
    }
  }

  return {
    code: intField(header, "code"),
    language,
    version: intField(header, "version"),
    opaque: intField(header, "opaque"),
    flag: intField(header, "flag"),
    ...(remark !== undefined ? { remark } : {}),
    extFields,
  };
}
