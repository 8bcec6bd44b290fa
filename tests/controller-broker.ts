import {
  createRemotingClient,
  createRemotingServer,
  createRequest,
  createResponse,
  type HeaderValues,
  type RemotingClient,
  type RemotingCommand,
  type RemotingServer,
} from "../proto/remoting/index.ts";
import { RequestCode } from "../proto/request-code.ts";
import { ResponseCode } from "../proto/response-code.ts";

/**
 * The controller-facing half of a broker in controller mode, for controller tests: the 5.1.1+ registration
 * flow, heartbeats, and a real remoting server that records NOTIFY_BROKER_ROLE_CHANGED pushes. Requests go out
 * through the real remoting client; nothing of the controller is faked.
 */
export class ControllerTestBroker {
  readonly notifications: RemotingCommand[] = [];
  brokerId = -1;
  /** what heartbeats report; tests change it to steer elections */
  progress = { epoch: 0, maxOffset: 0, confirmOffset: 0, electionPriority: 1 };
  private readonly client: RemotingClient;
  private heartbeatTimer?: ReturnType<typeof setInterval>;

  private constructor(
    readonly clusterName: string,
    readonly brokerName: string,
    private readonly server: RemotingServer,
  ) {
    this.client = createRemotingClient({ connectTimeoutMs: 1000, requestTimeoutMs: 3000 });
  }

  static async start(brokerName: string, clusterName = "DefaultCluster"): Promise<ControllerTestBroker> {
    const server = createRemotingServer({ host: "127.0.0.1", port: 0 });
    const broker = new ControllerTestBroker(clusterName, brokerName, server);
    server.handle(RequestCode.NOTIFY_BROKER_ROLE_CHANGED, (cmd) => {
      broker.notifications.push(cmd);
      return createResponse(cmd, ResponseCode.SUCCESS);
    });
    await server.start();
    return broker;
  }

  get address(): string {
    return `127.0.0.1:${this.server.port}`;
  }

  invoke(
    controller: string,
    code: number,
    fields?: HeaderValues,
    body?: Uint8Array,
  ): Promise<RemotingCommand> {
    return this.client.invoke(controller, createRequest(code, fields, body));
  }

  /** GET_NEXT_BROKER_ID, APPLY_BROKER_ID (retrying on a lost race, as ReplicasManager does), REGISTER_BROKER. */
  async register(controller: string): Promise<RemotingCommand> {
    const names = { clusterName: this.clusterName, brokerName: this.brokerName };
    for (let attempt = 0; this.brokerId < 0; attempt++) {
      const next = await this.invoke(controller, RequestCode.CONTROLLER_GET_NEXT_BROKER_ID, names);
      if (next.code !== ResponseCode.SUCCESS)
        throw new Error(`GET_NEXT_BROKER_ID: ${next.code} ${next.remark}`);
      const id = Number(next.extFields.nextBrokerId);
      const applied = await this.invoke(controller, RequestCode.CONTROLLER_APPLY_BROKER_ID, {
        ...names,
        appliedBrokerId: id,
        registerCheckCode: `${this.address};${Date.now()}`,
      });
      if (applied.code === ResponseCode.SUCCESS) this.brokerId = id;
      else if (attempt > 5) throw new Error(`APPLY_BROKER_ID: ${applied.code} ${applied.remark}`);
    }
    return this.invoke(controller, RequestCode.CONTROLLER_REGISTER_BROKER, {
      ...names,
      brokerId: this.brokerId,
      brokerAddress: this.address,
    });
  }

  heartbeat(controller: string, heartbeatTimeoutMills: number): Promise<RemotingCommand> {
    return this.invoke(controller, RequestCode.BROKER_HEARTBEAT, {
      clusterName: this.clusterName,
      brokerName: this.brokerName,
      brokerAddr: this.address,
      brokerId: this.brokerId,
      heartbeatTimeoutMills,
      ...this.progress,
    });
  }

  /** Heartbeats to every controller every `intervalMs` until stopped (ReplicasManager's brokerHeartbeatInterval). */
  async startHeartbeats(
    controllers: string[],
    intervalMs: number,
    heartbeatTimeoutMills: number,
  ): Promise<void> {
    const beat = () => Promise.all(controllers.map((c) => this.heartbeat(c, heartbeatTimeoutMills)));
    await beat();
    this.heartbeatTimer = setInterval(() => void beat().catch(() => {}), intervalMs);
  }

  stopHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  elect(controller: string, extra: HeaderValues = {}): Promise<RemotingCommand> {
    return this.invoke(controller, RequestCode.CONTROLLER_ELECT_MASTER, {
      clusterName: this.clusterName,
      brokerName: this.brokerName,
      brokerId: this.brokerId,
      ...extra,
    });
  }

  async close(): Promise<void> {
    this.stopHeartbeats();
    await this.client.close();
    await this.server.close();
  }
}
