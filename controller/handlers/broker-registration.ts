import { MqError } from "../../proto/error.ts";
import { createResponse, NamesrvHeader, readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { encodeSyncStateSet } from "../bodies.ts";
import { ControllerHeader } from "../headers.ts";
import {
  decideApplyBrokerId,
  decideCleanBrokerData,
  decideRegisterBroker,
  nextBrokerId,
  parseBrokerIdsToClean,
} from "../registration.ts";
import { transactBrokerSet } from "../transact.ts";
import { type ControllerContext, type HandlerTable, requireName } from "./context.ts";

/** RocketMQ's defaults for a heartbeat that leaves fields out (DefaultBrokerHeartbeatManager). */
const UNKNOWN = -1;
const LOWEST_PRIORITY = 2 ** 31 - 1;

/**
 * Brokers joining and staying alive: CONTROLLER_GET_NEXT_BROKER_ID (1012), CONTROLLER_APPLY_BROKER_ID (1013),
 * CONTROLLER_REGISTER_BROKER (1003), BROKER_HEARTBEAT (904), CLEAN_BROKER_DATA (1011).
 */
export function brokerRegistrationHandlers(c: ControllerContext): HandlerTable {
  return [
    [
      RequestCode.CONTROLLER_GET_NEXT_BROKER_ID,
      async (cmd) => {
        const h = readHeader(cmd, ControllerHeader.getNextBrokerId);
        requireName(h.brokerName, "brokerName");
        const stored = await c.store.getBrokerSet(h.brokerName);
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, {
          clusterName: h.clusterName,
          brokerName: h.brokerName,
          nextBrokerId: nextBrokerId(stored?.value),
        });
      },
    ],
    [
      RequestCode.CONTROLLER_APPLY_BROKER_ID,
      async (cmd) => {
        const h = readHeader(cmd, ControllerHeader.applyBrokerId);
        requireName(h.brokerName, "brokerName");
        await transactBrokerSet(c.store, h.brokerName, (current) => ({
          next: decideApplyBrokerId(current, h),
          result: undefined,
        }));
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, {
          clusterName: h.clusterName,
          brokerName: h.brokerName,
        });
      },
    ],
    [
      RequestCode.CONTROLLER_REGISTER_BROKER,
      async (cmd) => {
        const h = readHeader(cmd, ControllerHeader.registerBroker);
        const state = await transactBrokerSet(c.store, h.brokerName, (current) => {
          const next = decideRegisterBroker(current, h);
          return { next, result: next ?? current! };
        });
        const master = state.replicas.find((r) => r.brokerId === state.masterBrokerId);
        // as RocketMQ: the master is only reported while it is alive
        const masterAlive = master && (await c.store.liveBrokers(h.brokerName, [master.brokerId])).size > 0;
        return createResponse(
          cmd,
          ResponseCode.SUCCESS,
          undefined,
          {
            clusterName: h.clusterName,
            brokerName: h.brokerName,
            ...(masterAlive
              ? {
                  masterBrokerId: master.brokerId,
                  masterAddress: master.brokerAddress,
                  masterEpoch: state.masterEpoch,
                  syncStateSetEpoch: state.syncStateSetEpoch,
                }
              : {}),
          },
          encodeSyncStateSet(state),
        );
      },
    ],
    [
      RequestCode.BROKER_HEARTBEAT,
      async (cmd) => {
        const h = readHeader(cmd, NamesrvHeader.brokerHeartbeat);
        if (h.brokerId === undefined) {
          throw new MqError(ResponseCode.CONTROLLER_INVALID_REQUEST, "Heart beat with empty brokerId");
        }
        requireName(h.brokerName, "brokerName");
        const timeout = h.heartbeatTimeoutMills;
        await c.store.renewBrokerLease({
          clusterName: h.clusterName,
          brokerName: h.brokerName,
          brokerId: h.brokerId,
          brokerAddr: h.brokerAddr,
          epoch: h.epoch ?? UNKNOWN,
          maxOffset: h.maxOffset ?? UNKNOWN,
          confirmOffset: h.confirmOffset ?? UNKNOWN,
          electionPriority: h.electionPriority ?? LOWEST_PRIORITY,
          heartbeatTimeoutMillis: timeout !== undefined && timeout > 0 ? timeout : c.brokerHeartbeatTimeoutMs,
          lastUpdateTimestamp: c.clock(),
        });
        return createResponse(cmd, ResponseCode.SUCCESS, "Heart beat success");
      },
    ],
    [
      RequestCode.CLEAN_BROKER_DATA,
      async (cmd) => {
        const h = readHeader(cmd, ControllerHeader.cleanBrokerData);
        const brokerIds = parseBrokerIdsToClean(h.brokerControllerIdsToClean);
        await transactBrokerSet(c.store, h.brokerName, async (current) => {
          const live = await c.store.liveBrokers(h.brokerName, brokerIds ?? []);
          const request = {
            brokerName: h.brokerName,
            brokerIds,
            cleanLivingBroker: h.isCleanLivingBroker ?? false,
          };
          return { next: decideCleanBrokerData(current, request, live), result: undefined };
        });
        return createResponse(cmd, ResponseCode.SUCCESS);
      },
    ],
  ];
}
