import { MqError } from "../../proto/error.ts";
import { createResponse } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { HandlerTable, NamesrvContext, NamesrvRuntimeConfig } from "./context.ts";

/*
 * GET_NAMESRV_CONFIG / UPDATE_NAMESRV_CONFIG. Bodies are Java properties text ("key=value" lines) with
 * RocketMQ's key names. Settings fixed at start (port, address, file paths) refuse updates with NO_PERMISSION,
 * as RocketMQ's config black list does.
 */

type Updatable = {
  [K in keyof NamesrvRuntimeConfig]: {
    key: string;
    kind: NamesrvRuntimeConfig[K] extends number ? "ms" : "bool";
  };
};

const UPDATABLE: Updatable = {
  brokerChannelExpiredMs: { key: "brokerChannelExpiredTime", kind: "ms" },
  scanIntervalMs: { key: "scanNotActiveBrokerInterval", kind: "ms" },
  orderMessageEnable: { key: "orderMessageEnable", kind: "bool" },
  enableAllTopicList: { key: "enableAllTopicList", kind: "bool" },
  enableTopicList: { key: "enableTopicList", kind: "bool" },
};

const BLACK_LIST = new Set(["configBlackList", "configStorePath", "kvConfigPath", "rocketmqHome"]);

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** The subset of java.util.Properties text peers send: key=value or key: value lines, # and ! comments. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("!")) continue;
    const at = line.search(/[=:]/);
    if (at < 0) out.set(line, "");
    else out.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return out;
}

export function namesrvConfigHandlers(ns: NamesrvContext): HandlerTable {
  const current = (): string => {
    const lines = Object.entries(ns.fixedConfig).map(([k, v]) => `${k}=${v}`);
    for (const [field, { key }] of Object.entries(UPDATABLE)) {
      lines.push(`${key}=${ns.config[field as keyof NamesrvRuntimeConfig]}`);
    }
    return `${lines.join("\n")}\n`;
  };

  return [
    [
      RequestCode.GET_NAMESRV_CONFIG,
      (cmd) => createResponse(cmd, ResponseCode.SUCCESS, undefined, undefined, utf8Encoder.encode(current())),
    ],
    [
      RequestCode.UPDATE_NAMESRV_CONFIG,
      (cmd) => {
        if (!cmd.body?.length)
          throw new MqError(ResponseCode.INVALID_PARAMETER, "UPDATE_NAMESRV_CONFIG needs a body");
        const props = parseProperties(utf8Decoder.decode(cmd.body));
        const next: NamesrvRuntimeConfig = { ...ns.config };
        for (const [key, value] of props) {
          if (BLACK_LIST.has(key) || key in ns.fixedConfig) {
            throw new MqError(ResponseCode.NO_PERMISSION, `Can not update config in black list: ${key}`);
          }
          const entry = Object.entries(UPDATABLE).find(([, u]) => u.key === key);
          if (!entry)
            throw new MqError(ResponseCode.INVALID_PARAMETER, `unknown nameserver config key "${key}"`);
          const [field, { kind }] = entry;
          if (kind === "ms") {
            const n = Number(value);
            if (!/^\d+$/.test(value) || n < 1) {
              throw new MqError(
                ResponseCode.INVALID_PARAMETER,
                `${key} must be a positive integer, got "${value}"`,
              );
            }
            (next as unknown as Record<string, number | boolean>)[field] = n;
          } else {
            if (value !== "true" && value !== "false") {
              throw new MqError(
                ResponseCode.INVALID_PARAMETER,
                `${key} must be true or false, got "${value}"`,
              );
            }
            (next as unknown as Record<string, number | boolean>)[field] = value === "true";
          }
        }
        Object.assign(ns.config, next);
        ns.configChanged();
        return createResponse(cmd, ResponseCode.SUCCESS);
      },
    ],
  ];
}
