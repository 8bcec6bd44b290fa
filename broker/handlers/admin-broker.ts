import type { RemotingServer } from "../../proto/remoting/index.ts";
import { encodeJsonBody } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ok } from "./respond.ts";

export interface AdminBrokerDeps {
  /** Broker stats as strings (KVTable), for GET_BROKER_RUNTIME_INFO. */
  runtimeInfo: () => Record<string, string>;
  /** The effective broker.conf, key -> value. */
  config: () => Record<string, string | number | boolean>;
  /** JSON of the topic table's DataVersion (GET_BROKER_CONFIG's `version` header). */
  dataVersion: () => string;
}

const utf8 = new TextEncoder();

/** GET_BROKER_RUNTIME_INFO (KVTable) and GET_BROKER_CONFIG (properties text). */
export function registerAdminBrokerHandlers(server: RemotingServer, deps: AdminBrokerDeps): void {
  server.handle(RequestCode.GET_BROKER_RUNTIME_INFO, (cmd) =>
    ok(cmd, undefined, encodeJsonBody({ table: deps.runtimeInfo() })),
  );
  server.handle(RequestCode.GET_BROKER_CONFIG, (cmd) => {
    const text = Object.entries(deps.config())
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
    return ok(cmd, { version: deps.dataVersion() }, utf8.encode(`${text}\n`));
  });
}
