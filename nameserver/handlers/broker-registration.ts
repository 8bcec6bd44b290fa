import { MqError } from "../../proto/error.ts";
import {
  createResponse,
  decodeDataVersion,
  decodeRegisterBrokerBody,
  encodeJsonBody,
  NamesrvHeader,
  readHeader,
  rocketmqCrc32,
} from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { type HandlerTable, NAMESPACE_ORDER_TOPIC_CONFIG, type NamesrvContext } from "./context.ts";

/**
 * Brokers talking about themselves: REGISTER_BROKER, UNREGISTER_BROKER, BROKER_HEARTBEAT, QUERY_DATA_VERSION,
 * GET_BROKER_MEMBER_GROUP, WIPE_WRITE_PERM_OF_BROKER, ADD_WRITE_PERM_OF_BROKER.
 */
export function brokerRegistrationHandlers(ns: NamesrvContext): HandlerTable {
  return [
    [
      RequestCode.REGISTER_BROKER,
      (cmd, ctx) => {
        const h = readHeader(cmd, NamesrvHeader.registerBroker);
        if (h.bodyCrc32 && rocketmqCrc32(cmd.body ?? new Uint8Array(0)) !== h.bodyCrc32) {
          throw new MqError(ResponseCode.SYSTEM_ERROR, "crc32 not match");
        }
        const body = decodeRegisterBrokerBody(cmd.body, h.compressed ?? false);
        const result = ns.routeTable.registerBroker(
          {
            clusterName: h.clusterName,
            brokerAddr: h.brokerAddr,
            brokerName: h.brokerName,
            brokerId: h.brokerId,
            haServerAddr: h.haServerAddr,
            heartbeatTimeoutMillis: h.heartbeatTimeoutMillis ?? ns.config.brokerChannelExpiredMs,
            ...(h.enableActingMaster !== undefined ? { enableActingMaster: h.enableActingMaster } : {}),
            topicConfigTable: body.topicConfigSerializeWrapper.topicConfigTable,
            dataVersion: body.topicConfigSerializeWrapper.dataVersion,
            filterServerList: body.filterServerList,
            connectionId: ctx.connection.id,
          },
          ns.clock(),
        );
        ns.watchConnection(ctx.connection);
        const orderConfig = ns.kvConfig.list(NAMESPACE_ORDER_TOPIC_CONFIG);
        return createResponse(
          cmd,
          ResponseCode.SUCCESS,
          undefined,
          { masterAddr: result.masterAddr, haServerAddr: result.haServerAddr },
          orderConfig ? encodeJsonBody({ table: orderConfig }) : undefined,
        );
      },
    ],
    [
      RequestCode.UNREGISTER_BROKER,
      (cmd) => {
        ns.routeTable.unregisterBroker(readHeader(cmd, NamesrvHeader.unregisterBroker));
        return createResponse(cmd, ResponseCode.SUCCESS);
      },
    ],
    [
      RequestCode.BROKER_HEARTBEAT,
      (cmd) => {
        const h = readHeader(cmd, NamesrvHeader.brokerHeartbeat);
        ns.routeTable.updateBrokerInfoUpdateTimestamp(h.clusterName, h.brokerAddr, ns.clock());
        return createResponse(cmd, ResponseCode.SUCCESS);
      },
    ],
    [
      RequestCode.QUERY_DATA_VERSION,
      (cmd) => {
        const h = readHeader(cmd, NamesrvHeader.queryDataVersion);
        const dataVersion = decodeDataVersion(cmd.body);
        const changed = ns.routeTable.isBrokerTopicConfigChanged(h.clusterName, h.brokerAddr, dataVersion);
        // an unchanged version doubles as a heartbeat
        if (!changed) ns.routeTable.updateBrokerInfoUpdateTimestamp(h.clusterName, h.brokerAddr, ns.clock());
        const known = ns.routeTable.queryBrokerTopicConfig(h.clusterName, h.brokerAddr);
        return createResponse(
          cmd,
          ResponseCode.SUCCESS,
          undefined,
          { changed },
          known && encodeJsonBody(known),
        );
      },
    ],
    [
      RequestCode.GET_BROKER_MEMBER_GROUP,
      (cmd) => {
        const h = readHeader(cmd, NamesrvHeader.getBrokerMemberGroup);
        const brokerAddrs = ns.routeTable.getBrokerMemberGroup(h.brokerName);
        return createResponse(
          cmd,
          ResponseCode.SUCCESS,
          undefined,
          undefined,
          encodeJsonBody({
            brokerMemberGroup: { cluster: h.clusterName, brokerName: h.brokerName, brokerAddrs },
          }),
        );
      },
    ],
    [
      RequestCode.WIPE_WRITE_PERM_OF_BROKER,
      (cmd) => {
        const h = readHeader(cmd, NamesrvHeader.wipeWritePermOfBroker);
        const wipeTopicCount = ns.routeTable.setWritePermOfBroker(h.brokerName, "wipe");
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, { wipeTopicCount });
      },
    ],
    [
      RequestCode.ADD_WRITE_PERM_OF_BROKER,
      (cmd) => {
        const h = readHeader(cmd, NamesrvHeader.addWritePermOfBroker);
        const addTopicCount = ns.routeTable.setWritePermOfBroker(h.brokerName, "add");
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, { addTopicCount });
      },
    ],
  ];
}
