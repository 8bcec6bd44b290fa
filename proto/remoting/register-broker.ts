import { inflateSync } from "node:zlib";
import { MqError } from "../error.ts";
import { RequestCode } from "../request-code.ts";
import { ResponseCode } from "../response-code.ts";
import { rocketmqCrc32 } from "./crc32.ts";
import { readHeader } from "./custom-header.ts";
import { bodyReader, decodeJsonBody, encodeJsonBody } from "./json-body.ts";
import { NamesrvHeader } from "./namesrv-headers.ts";
import { createRequest, ensureResponseCode, type RemotingCommand } from "./remoting-command.ts";
import {
  type DataVersion,
  decodeKVTable,
  defaultTopicConfig,
  readDataVersion,
  readTopicConfig,
  type TopicConfig,
} from "./route-data.ts";

/** REGISTER_BROKER body (RegisterBrokerBody): the broker's topic configs with their version, plus filter servers. */
export interface RegisterBrokerBody {
  topicConfigSerializeWrapper: {
    topicConfigTable: Record<string, TopicConfig>;
    dataVersion: DataVersion;
  };
  filterServerList: string[];
}

/** What a broker tells each nameserver about itself. */
export interface BrokerRegistration {
  clusterName: string;
  brokerName: string;
  /** "ip:port" clients dial */
  brokerAddr: string;
  /** 0 = master, >= 1 = slave */
  brokerId: number;
  /** "ip:port" of the HA (replication) listener; slaves learn their master's from the response */
  haServerAddr: string;
  topicConfigTable: Readonly<Record<string, TopicConfig>>;
  dataVersion: DataVersion;
  filterServerList?: readonly string[];
  /** How long the nameserver keeps the broker without a heartbeat (default there: 120 s). */
  heartbeatTimeoutMillis?: number;
  enableActingMaster?: boolean;
}

/** A REGISTER_BROKER request: standard JSON body with its `bodyCrc32`, never compressed. */
export function createRegisterBrokerRequest(reg: BrokerRegistration): RemotingCommand {
  const body = encodeJsonBody({
    topicConfigSerializeWrapper: { topicConfigTable: reg.topicConfigTable, dataVersion: reg.dataVersion },
    filterServerList: [...(reg.filterServerList ?? [])],
  } satisfies RegisterBrokerBody);
  return createRequest(
    RequestCode.REGISTER_BROKER,
    {
      brokerName: reg.brokerName,
      brokerAddr: reg.brokerAddr,
      clusterName: reg.clusterName,
      haServerAddr: reg.haServerAddr,
      brokerId: reg.brokerId,
      heartbeatTimeoutMillis: reg.heartbeatTimeoutMillis,
      enableActingMaster: reg.enableActingMaster,
      compressed: false,
      bodyCrc32: rocketmqCrc32(body),
    },
    body,
  );
}

/** An UNREGISTER_BROKER request (sent on orderly shutdown). */
export function createUnregisterBrokerRequest(b: {
  clusterName: string;
  brokerName: string;
  brokerAddr: string;
  brokerId: number;
}): RemotingCommand {
  return createRequest(RequestCode.UNREGISTER_BROKER, {
    brokerName: b.brokerName,
    brokerAddr: b.brokerAddr,
    clusterName: b.clusterName,
    brokerId: b.brokerId,
  });
}

/** A BROKER_HEARTBEAT request: refreshes the broker's liveness without re-sending its topics. */
export function createBrokerHeartbeatRequest(b: {
  clusterName: string;
  brokerName: string;
  brokerAddr: string;
  brokerId: number;
  heartbeatTimeoutMills?: number;
}): RemotingCommand {
  return createRequest(RequestCode.BROKER_HEARTBEAT, b);
}

const utf8Decoder = new TextDecoder();

/** Java's compressed form: deflate of length-prefixed parts, topic configs as "name r w perm filterType [attrs]". */
function decodeCompressedBody(body: Uint8Array): RegisterBrokerBody {
  const r = bodyReader("RegisterBrokerBody");
  let data: Uint8Array;
  try {
    data = inflateSync(body);
  } catch (err) {
    throw new MqError(ResponseCode.INVALID_PARAMETER, "compressed RegisterBrokerBody does not inflate", {
      cause: err,
    });
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  const truncated = () =>
    new MqError(ResponseCode.INVALID_PARAMETER, "compressed RegisterBrokerBody is truncated");
  const readInt = () => {
    if (pos + 4 > data.length) throw truncated();
    const n = view.getInt32(pos);
    pos += 4;
    return n;
  };
  const readText = () => {
    const n = readInt();
    if (n < 0 || pos + n > data.length) throw truncated();
    const text = utf8Decoder.decode(data.subarray(pos, pos + n));
    pos += n;
    return text;
  };
  const parse = (text: string, what: string) => decodeJsonBody(new TextEncoder().encode(text), what);

  const dataVersion = readDataVersion(r, parse(readText(), "DataVersion"), "dataVersion");
  const topicConfigTable: Record<string, TopicConfig> = {};
  const topics = readInt();
  for (let i = 0; i < topics; i++) {
    const text = readText();
    const parts = text.split(" ");
    const ints = parts.slice(1, 4).map(Number);
    if (parts.length < 5 || !parts[0] || ints.some((n) => !Number.isInteger(n))) {
      throw new MqError(ResponseCode.INVALID_PARAMETER, `malformed compressed topic config "${text}"`);
    }
    const config: TopicConfig = {
      ...defaultTopicConfig,
      topicName: parts[0],
      readQueueNums: ints[0],
      writeQueueNums: ints[1],
      perm: ints[2],
      topicFilterType: parts[4],
    };
    if (parts.length > 5) {
      const attrs = r.object(parse(parts.slice(5).join(" "), "topic attributes"), `${parts[0]}.attributes`);
      config.attributes = Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, String(v)]));
    }
    topicConfigTable[config.topicName] = config;
  }
  const filterServerList = r
    .array(parse(readText(), "filterServerList"), "filterServerList", [])
    .map((s) => r.string(s, "filterServerList[]"));
  return { topicConfigSerializeWrapper: { topicConfigTable, dataVersion }, filterServerList };
}

/**
 * Decodes a REGISTER_BROKER body, JSON or (with the `compressed` header) Java's deflated form. No body means no
 * topics at version 0, as in RocketMQ. Throws MqError(INVALID_PARAMETER) on malformed input.
 */
export function decodeRegisterBrokerBody(
  body: Uint8Array | undefined,
  compressed = false,
): RegisterBrokerBody {
  if (!body || body.length === 0) {
    return {
      topicConfigSerializeWrapper: {
        topicConfigTable: {},
        dataVersion: { stateVersion: 0, timestamp: 0, counter: 0 },
      },
      filterServerList: [],
    };
  }
  if (compressed) return decodeCompressedBody(body);
  const r = bodyReader("RegisterBrokerBody");
  const o = r.object(decodeJsonBody(body, "RegisterBrokerBody"), "$");
  const wrapper = r.object(o.topicConfigSerializeWrapper, "topicConfigSerializeWrapper", {});
  const table = r.object(wrapper.topicConfigTable, "topicConfigSerializeWrapper.topicConfigTable", {});
  const topicConfigTable: Record<string, TopicConfig> = {};
  for (const [name, v] of Object.entries(table)) {
    topicConfigTable[name] = readTopicConfig(r, v, `topicConfigTable.${name}`, name);
  }
  return {
    topicConfigSerializeWrapper: {
      topicConfigTable,
      dataVersion: readDataVersion(r, wrapper.dataVersion, "topicConfigSerializeWrapper.dataVersion"),
    },
    filterServerList: r
      .array(o.filterServerList, "filterServerList", [])
      .map((s) => r.string(s, "filterServerList[]")),
  };
}

/** Anything that can send a request and await its response (the remoting client). */
export interface RemotingInvoker {
  invoke(addr: string, cmd: RemotingCommand, timeoutMs?: number): Promise<RemotingCommand>;
}

export type RegisterBrokerOutcome =
  | {
      namesrvAddr: string;
      ok: true;
      /** the master's address, when this broker is a slave and its master is registered */
      masterAddr?: string;
      /** the master's HA address, likewise */
      haServerAddr?: string;
      /** the nameserver's ORDER_TOPIC_CONFIG namespace, if it returned one */
      orderTopicConfig?: Record<string, string>;
    }
  | { namesrvAddr: string; ok: false; error: MqError };

/**
 * Registers with every nameserver in parallel. Never throws: one unreachable nameserver must not keep the broker
 * out of the others, so each address gets its own outcome.
 */
export async function registerBrokerAll(
  invoker: RemotingInvoker,
  namesrvAddrs: readonly string[],
  reg: BrokerRegistration,
  timeoutMs?: number,
): Promise<RegisterBrokerOutcome[]> {
  const request = createRegisterBrokerRequest(reg);
  return Promise.all(
    namesrvAddrs.map(async (namesrvAddr): Promise<RegisterBrokerOutcome> => {
      try {
        const response = ensureResponseCode(await invoker.invoke(namesrvAddr, request, timeoutMs));
        const header = readHeader(response, NamesrvHeader.registerBrokerResponse);
        return {
          namesrvAddr,
          ok: true,
          ...(header.masterAddr ? { masterAddr: header.masterAddr } : {}),
          ...(header.haServerAddr ? { haServerAddr: header.haServerAddr } : {}),
          ...(response.body?.length ? { orderTopicConfig: decodeKVTable(response.body).table } : {}),
        };
      } catch (err) {
        return { namesrvAddr, ok: false, error: MqError.from(err) };
      }
    }),
  );
}
