import { createResponse } from "../../proto/remoting/index.ts";
import { RequestCode } from "../../proto/request-code.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import type { ControllerContext, HandlerTable } from "./context.ts";

/**
 * CONTROLLER_GET_METADATA_INFO (1005). Brokers send every controller request to `controllerLeaderAddress`.
 * Controllers sharing one Redis are all able to decide (compare-and-set keeps them consistent), so each names
 * itself the leader; `group` names the shared state.
 */
export function metadataHandlers(c: ControllerContext): HandlerTable {
  return [
    [
      RequestCode.CONTROLLER_GET_METADATA_INFO,
      (cmd) => {
        const { group, controllerId, address } = c.identity();
        return createResponse(cmd, ResponseCode.SUCCESS, undefined, {
          group,
          controllerLeaderId: controllerId,
          controllerLeaderAddress: address,
          isLeader: true,
          peers: `${controllerId}:${address};`,
        });
      },
    ],
  ];
}
