import { create } from "@bufbuild/protobuf";
import { Code, type Settings, type TelemetryCommand, TelemetryCommandSchema } from "../../proto/v2.ts";
import { createAsyncQueue } from "../async-queue.ts";
import type { ConsumerGroupInfo, TransactionCheck } from "../backend/backend.ts";
import { serverSettings } from "../settings.ts";
import { okStatus, status, statusOf } from "../status.ts";
import { wrapBrokerToken } from "./broker-token.ts";
import type { CallContext } from "./context.ts";
import type { RpcEnv } from "./env.ts";
import { filterSpecOf, isFilterSpec } from "./filter.ts";
import { registrationOf } from "./heartbeat.ts";
import { toV2Message } from "./message-view.ts";
import { checkClientId, checkGroup, checkTopic } from "./validate.ts";

const SETTINGS_REPEAT_MS = 500;

const statusCommand = (s: ReturnType<typeof status>) => create(TelemetryCommandSchema, { status: s });

/**
 * Telemetry (bidi): every client Settings gets the server's authoritative Settings back (the Node SDK's startup
 * waits for it with no timeout). The stream stays open so the proxy can push commands later, such as
 * RecoverOrphanedTransactionCommand; settings are kept per client id.
 */
export function telemetry(env: RpcEnv) {
  const onSettings = async (clientId: string, settings: Settings): Promise<TelemetryCommand> => {
    const session = env.sessions.touch(clientId, settings.clientType);
    let group: ConsumerGroupInfo | undefined;
    switch (settings.pubSub.case) {
      case "publishing": {
        for (const t of settings.pubSub.value.topics) {
          const bad = checkTopic(t);
          if (bad) return statusCommand(bad);
        }
        for (const t of settings.pubSub.value.topics) session.producerGroups.add(t.name);
        break;
      }
      case "subscription": {
        const sub = settings.pubSub.value;
        const bad = checkGroup(sub.group) ?? sub.subscriptions.map((s) => checkTopic(s.topic)).find((s) => s);
        if (bad) return statusCommand(bad);
        try {
          group = await env.backend.getConsumerGroup(sub.group!.name);
          // A filter the broker cannot compile is refused here, at subscribe time, not at the first receive.
          for (const entry of sub.subscriptions) {
            const filter = filterSpecOf(entry.expression);
            if (!isFilterSpec(filter)) return statusCommand(filter);
            await env.backend.checkSubscription(sub.group!.name, entry.topic!.name, filter);
          }
        } catch (err) {
          return statusCommand(statusOf(err));
        }
        session.consumerGroups.add(sub.group!.name);
        break;
      }
      default:
        return statusCommand(
          status(Code.BAD_REQUEST, "there is no publishing or subscription data in settings"),
        );
    }
    session.settings = settings;
    try {
      await env.backend.registerClient(registrationOf(session));
    } catch (err) {
      return statusCommand(statusOf(err));
    }
    return create(TelemetryCommandSchema, {
      status: okStatus,
      command: { case: "settings", value: serverSettings(settings, env.settingsPolicy, group) },
    });
  };

  return (requests: AsyncIterable<TelemetryCommand>, call: CallContext): AsyncIterable<TelemetryCommand> => {
    const outbox = createAsyncQueue<TelemetryCommand>();
    const bad = checkClientId(call.clientId);
    if (bad) {
      outbox.push(statusCommand(bad));
      outbox.end();
      return outbox;
    }
    const detach = env.sessions.attachTelemetry(call.clientId, outbox);
    const stop = () => outbox.end();
    call.signal.addEventListener("abort", stop, { once: true });
    (async () => {
      try {
        for await (const command of requests) {
          env.sessions.touch(call.clientId);
          if (command.command.case === "settings") {
            const reply = await onSettings(call.clientId, command.command.value);
            outbox.push(reply);
            // The Node SDK's startup can miss a Settings reply that lands before its last QueryRoute returns
            // (it then waits forever); a second copy shortly after is harmless and un-sticks it.
            // After the stream ends the outbox drops pushes, so the timer needs no cancelling.
            if (reply.command.case === "settings") setTimeout(() => outbox.push(reply), SETTINGS_REPEAT_MS);
          } else
            env.logger.debug({ clientId: call.clientId, command: command.command.case }, "telemetry command");
        }
      } catch (err) {
        if (!call.signal.aborted)
          env.logger.debug({ err, clientId: call.clientId }, "telemetry stream failed");
      } finally {
        call.signal.removeEventListener("abort", stop);
        detach();
        outbox.end();
      }
    })();
    return outbox;
  };
}

/** Routes a broker's transaction check-back to a producer of the group that has a Telemetry stream here. */
export function transactionCheckListener(env: RpcEnv) {
  return (check: TransactionCheck): void => {
    const byId = check.clientId ? env.sessions.get(check.clientId) : undefined;
    const candidates =
      byId && byId.telemetry.size > 0 ? [byId] : env.sessions.reachableProducers(check.producerGroup);
    if (candidates.length === 0) {
      env.logger.debug({ group: check.producerGroup }, "no producer reachable for a transaction check");
      return;
    }
    const session = candidates[Math.floor(Math.random() * candidates.length)];
    const outbox = [...session.telemetry][0];
    outbox.push(
      create(TelemetryCommandSchema, {
        status: okStatus,
        command: {
          case: "recoverOrphanedTransactionCommand",
          value: {
            message: toV2Message(check.message),
            transactionId: wrapBrokerToken(check.brokerName, check.transactionId),
          },
        },
      }),
    );
  };
}
