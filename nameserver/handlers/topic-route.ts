import { MqError } from "../../proto/error.ts";
import {
  createResponse,
  decodeTopicRouteData,
  encodeJsonBody,
  NamesrvHeader,
  type RemotingHandler,
  readHeader,
  type TopicList,
} from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { type HandlerTable, NAMESPACE_ORDER_TOPIC_CONFIG, type NamesrvContext } from "./context.ts";

/**
 * Route queries and topic route admin: GET_ROUTEINFO_BY_TOPIC, GET_BROKER_CLUSTER_INFO, the topic lists,
 * DELETE_TOPIC_IN_NAMESRV, REGISTER_TOPIC_IN_NAMESRV.
 */
export function topicRouteHandlers(ns: NamesrvContext): HandlerTable {
  const topicListBody = (list: TopicList) => encodeJsonBody(list);
  const requireTopicList = (enabled: boolean) => {
    if (!enabled) throw new MqError(ResponseCode.SYSTEM_ERROR, "disable");
  };

  const unitTopics =
    (kind: "unit" | "unitSub" | "unitSubUnUnit"): RemotingHandler =>
    (cmd) => {
      requireTopicList(ns.config.enableTopicList);
      const body = topicListBody({ topicList: ns.routeTable.getUnitTopics(kind) });
      return createResponse(cmd, ResponseCode.SUCCESS, undefined, undefined, body);
    };

  return [
    [
      RequestCode.GET_ROUTEINFO_BY_TOPIC,
      (cmd) => {
        const { topic } = readHeader(cmd, NamesrvHeader.getRouteInfo);
        const route = ns.routeTable.pickupTopicRouteData(topic);
        if (!route) {
          return createResponse(
            cmd,
            ResponseCode.TOPIC_NOT_EXIST,
            `No topic route info in name server for the topic: ${topic}`,
          );
        }
        if (ns.config.orderMessageEnable) {
          route.orderTopicConf = ns.kvConfig.get(NAMESPACE_ORDER_TOPIC_CONFIG, topic) ?? null;
        }
        // Always standard JSON (quoted map keys): every fastjson-era parser reads it too.
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, undefined, encodeJsonBody(route));
      },
    ],
    [
      RequestCode.GET_BROKER_CLUSTER_INFO,
      (cmd) =>
        createResponse(
          cmd,
          ResponseCode.SUCCESS,
          undefined,
          undefined,
          encodeJsonBody(ns.routeTable.getClusterInfo()),
        ),
    ],
    [
      RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
      (cmd) => {
        requireTopicList(ns.config.enableAllTopicList);
        const body = topicListBody({ topicList: ns.routeTable.getAllTopicList() });
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, undefined, body);
      },
    ],
    [
      RequestCode.GET_TOPICS_BY_CLUSTER,
      (cmd) => {
        requireTopicList(ns.config.enableTopicList);
        const { cluster } = readHeader(cmd, NamesrvHeader.getTopicsByCluster);
        const body = topicListBody({ topicList: ns.routeTable.getTopicsByCluster(cluster) });
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, undefined, body);
      },
    ],
    [
      RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS,
      (cmd) =>
        createResponse(
          cmd,
          ResponseCode.SUCCESS,
          undefined,
          undefined,
          topicListBody(ns.routeTable.getSystemTopicList()),
        ),
    ],
    [RequestCode.GET_UNIT_TOPIC_LIST, unitTopics("unit")],
    [RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST, unitTopics("unitSub")],
    [RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST, unitTopics("unitSubUnUnit")],
    [
      RequestCode.DELETE_TOPIC_IN_NAMESRV,
      (cmd) => {
        const h = readHeader(cmd, NamesrvHeader.deleteTopicInNamesrv);
        ns.routeTable.deleteTopic(h.topic, h.clusterName || undefined);
        return createResponse(cmd, ResponseCode.SUCCESS);
      },
    ],
    [
      RequestCode.REGISTER_TOPIC_IN_NAMESRV,
      (cmd) => {
        const { topic } = readHeader(cmd, NamesrvHeader.registerTopicInNamesrv);
        const route = decodeTopicRouteData(cmd.body);
        // Like RocketMQ: an existing topic or an unknown broker leaves the table as it is.
        ns.routeTable.registerTopic(topic, route.queueDatas);
        return createResponse(cmd, ResponseCode.SUCCESS);
      },
    ],
  ];
}
