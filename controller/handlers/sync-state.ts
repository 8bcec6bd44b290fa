import { MqError } from "../../proto/error.ts";
import { createResponse, encodeJsonBody, readHeader } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import {
  type BrokerReplicasInfo,
  decodeBrokerNames,
  decodeSyncStateSet,
  encodeElectMasterBody,
  encodeSyncStateSet,
  replicasInfoOf,
} from "../bodies.ts";
import { decideAlterSyncStateSet, type ElectTrigger } from "../election.ts";
import { ControllerHeader } from "../headers.ts";
import type { BrokerSetState } from "../lease-store.ts";
import { transactBrokerSet } from "../transact.ts";
import { type ControllerContext, type HandlerTable, requireName } from "./context.ts";

function masterOf(state: BrokerSetState) {
  return state.replicas.find((r) => r.brokerId === state.masterBrokerId);
}

/**
 * Masters and SyncStateSets: CONTROLLER_ALTER_SYNC_STATE_SET (1001), CONTROLLER_ELECT_MASTER (1002),
 * CONTROLLER_GET_REPLICA_INFO (1004), CONTROLLER_GET_SYNC_STATE_DATA (1006).
 */
export function syncStateHandlers(c: ControllerContext): HandlerTable {
  return [
    [
      RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET,
      async (cmd) => {
        const h = readHeader(cmd, ControllerHeader.alterSyncStateSet);
        const body = decodeSyncStateSet(cmd.body);
        const next = await transactBrokerSet(c.store, h.brokerName, async (current) => {
          if (!current) {
            throw new MqError(
              ResponseCode.CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
              `Broker metadata of "${h.brokerName}" is not existed`,
            );
          }
          const live = await c.store.liveBrokers(h.brokerName, body.syncStateSet);
          const request = { masterBrokerId: h.masterBrokerId, masterEpoch: h.masterEpoch, ...body };
          const decided = decideAlterSyncStateSet(current, request, live);
          return { next: decided, result: decided };
        });
        return createResponse(
          cmd,
          ResponseCode.SUCCESS,
          undefined,
          { newSyncStateSetEpoch: next.syncStateSetEpoch },
          encodeSyncStateSet(next),
        );
      },
    ],
    [
      RequestCode.CONTROLLER_ELECT_MASTER,
      async (cmd) => {
        const h = readHeader(cmd, ControllerHeader.electMaster);
        requireName(h.brokerName, "brokerName");
        const trigger: ElectTrigger =
          h.brokerId === undefined || h.brokerId === -1
            ? { by: "controller" }
            : { by: h.designateElect ? "admin" : "broker", brokerId: h.brokerId };
        const run = await c.electMaster(h.brokerName, trigger);
        if (run.outcome === "masterLost") {
          return createResponse(
            cmd,
            ResponseCode.CONTROLLER_MASTER_NOT_AVAILABLE,
            "Old master has down and failed to elect a new broker master",
          );
        }
        const master = masterOf(run.state);
        const header = {
          masterBrokerId: master?.brokerId,
          masterAddress: master?.brokerAddress,
          masterEpoch: run.state.masterEpoch,
          syncStateSetEpoch: run.state.syncStateSetEpoch,
        };
        const body = encodeElectMasterBody(run.state);
        if (run.outcome === "kept") {
          const remark = `The old master ${master?.brokerId} is still alive, not need to elect new master for broker ${h.brokerName}`;
          return createResponse(cmd, ResponseCode.CONTROLLER_MASTER_STILL_EXIST, remark, header, body);
        }
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, header, body);
      },
    ],
    [
      RequestCode.CONTROLLER_GET_REPLICA_INFO,
      async (cmd) => {
        const h = readHeader(cmd, ControllerHeader.getReplicaInfo);
        const stored = await c.store.getBrokerSet(h.brokerName);
        if (!stored) {
          throw new MqError(
            ResponseCode.CONTROLLER_BROKER_METADATA_NOT_EXIST,
            `Broker metadata of "${h.brokerName}" is not existed`,
          );
        }
        const state = stored.value;
        const master = masterOf(state);
        return createResponse(
          cmd,
          ResponseCode.SUCCESS,
          undefined,
          {
            masterBrokerId: master?.brokerId,
            masterAddress: master?.brokerAddress,
            masterEpoch: state.masterEpoch,
          },
          encodeSyncStateSet(state),
        );
      },
    ],
    [
      RequestCode.CONTROLLER_GET_SYNC_STATE_DATA,
      async (cmd) => {
        const brokerNames = decodeBrokerNames(cmd.body);
        const info: BrokerReplicasInfo = { replicasInfoTable: {} };
        for (const brokerName of new Set(brokerNames)) {
          const stored = await c.store.getBrokerSet(brokerName);
          if (!stored) continue; // as RocketMQ: unknown names are simply absent from the table
          const ids = stored.value.replicas.map((r) => r.brokerId);
          const live = await c.store.liveBrokers(brokerName, ids);
          info.replicasInfoTable[brokerName] = replicasInfoOf(stored.value, live);
        }
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, undefined, encodeJsonBody(info));
      },
    ],
  ];
}
