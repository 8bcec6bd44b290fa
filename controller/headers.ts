/**
 * Header schemas of the controller request family (RocketMQ's header/controller/** and
 * NotifyBrokerRoleChangedRequestHeader), read with `readHeader(cmd, ControllerHeader.x)`. Field names are the
 * Java field names, which is what travels in extFields. BROKER_HEARTBEAT uses `NamesrvHeader.brokerHeartbeat`.
 * When the broker starts sending these, this table moves to proto/remoting beside NamesrvHeader.
 */
export const ControllerHeader = {
  alterSyncStateSet: {
    brokerName: "string",
    masterBrokerId: "long",
    masterEpoch: "int",
    invokeTime: "long?",
  },
  alterSyncStateSetResponse: { newSyncStateSetEpoch: "int" },
  /** brokerId absent or -1: the controller's own trigger; designateElect: an operator's choice */
  electMaster: {
    clusterName: "string?",
    brokerName: "string",
    brokerId: "long?",
    designateElect: "bool?",
    invokeTime: "long?",
  },
  electMasterResponse: {
    masterBrokerId: "long?",
    masterAddress: "string?",
    masterEpoch: "int?",
    syncStateSetEpoch: "int?",
  },
  getReplicaInfo: { brokerName: "string" },
  getReplicaInfoResponse: { masterBrokerId: "long?", masterAddress: "string?", masterEpoch: "int?" },
  getMetaDataResponse: {
    group: "string?",
    controllerLeaderId: "string?",
    controllerLeaderAddress: "string?",
    isLeader: "bool?",
    peers: "string?",
  },
  getNextBrokerId: { clusterName: "string", brokerName: "string" },
  getNextBrokerIdResponse: { clusterName: "string?", brokerName: "string?", nextBrokerId: "long" },
  applyBrokerId: {
    clusterName: "string",
    brokerName: "string",
    appliedBrokerId: "long",
    registerCheckCode: "string",
  },
  applyBrokerIdResponse: { clusterName: "string?", brokerName: "string?" },
  registerBroker: {
    clusterName: "string",
    brokerName: "string",
    brokerId: "long",
    brokerAddress: "string",
    invokeTime: "long?",
  },
  registerBrokerResponse: {
    clusterName: "string?",
    brokerName: "string?",
    masterBrokerId: "long?",
    masterAddress: "string?",
    masterEpoch: "int?",
    syncStateSetEpoch: "int?",
  },
  cleanBrokerData: {
    clusterName: "string?",
    brokerName: "string",
    /** ids separated by ';'; absent = the whole broker set */
    brokerControllerIdsToClean: "string?",
    isCleanLivingBroker: "bool?",
    invokeTime: "long?",
  },
  notifyBrokerRoleChanged: {
    masterAddress: "string?",
    masterEpoch: "int?",
    syncStateSetEpoch: "int?",
    masterBrokerId: "long?",
  },
} as const;
