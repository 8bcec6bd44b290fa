import { createResponse, encodeJsonBody, NamesrvHeader, readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { HandlerTable, NamesrvContext } from "./context.ts";

/** PUT_KV_CONFIG, GET_KV_CONFIG, DELETE_KV_CONFIG, GET_KVLIST_BY_NAMESPACE. */
export function kvConfigHandlers(ns: NamesrvContext): HandlerTable {
  return [
    [
      RequestCode.PUT_KV_CONFIG,
      (cmd) => {
        const h = readHeader(cmd, NamesrvHeader.putKVConfig);
        ns.kvConfig.put(h.namespace, h.key, h.value);
        return createResponse(cmd, ResponseCode.SUCCESS);
      },
    ],
    [
      RequestCode.GET_KV_CONFIG,
      (cmd) => {
        const h = readHeader(cmd, NamesrvHeader.getKVConfig);
        const value = ns.kvConfig.get(h.namespace, h.key);
        if (value === undefined) {
          return createResponse(
            cmd,
            ResponseCode.QUERY_NOT_FOUND,
            `No config item, Namespace: ${h.namespace} Key: ${h.key}`,
          );
        }
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, { value });
      },
    ],
    [
      RequestCode.DELETE_KV_CONFIG,
      (cmd) => {
        const h = readHeader(cmd, NamesrvHeader.deleteKVConfig);
        ns.kvConfig.delete(h.namespace, h.key);
        return createResponse(cmd, ResponseCode.SUCCESS);
      },
    ],
    [
      RequestCode.GET_KVLIST_BY_NAMESPACE,
      (cmd) => {
        const { namespace } = readHeader(cmd, NamesrvHeader.getKVListByNamespace);
        const table = ns.kvConfig.list(namespace);
        if (!table)
          return createResponse(cmd, ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${namespace}`);
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, undefined, encodeJsonBody({ table }));
      },
    ],
  ];
}
