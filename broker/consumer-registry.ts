/** A subscription as clients send it in HEART_BEAT (SubscriptionData.java). */
export interface SubscriptionData {
  topic: string;
  subString: string;
  expressionType: "TAG" | "SQL92";
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  classFilterMode: boolean;
}

export type ConsumeType = "CONSUME_ACTIVELY" | "CONSUME_PASSIVELY" | "CONSUME_POP";
export type MessageModel = "CLUSTERING" | "BROADCASTING";

/** One consumer of a group as the broker sees it. `C` is the connection it came on (for pushes). */
export interface ConsumerClient<C> {
  clientId: string;
  channel: C;
  language: string;
  version: number;
  lastUpdate: number;
}

export interface ConsumerGroupInfo<C> {
  group: string;
  consumeType: ConsumeType;
  messageModel: MessageModel;
  consumeFromWhere: string;
  subscriptions: Map<string, SubscriptionData>;
  clients: Map<string, ConsumerClient<C>>;
  lastUpdate: number;
}

export interface ConsumerRegistration<C> {
  group: string;
  clientId: string;
  channel: C;
  language?: string;
  version?: number;
  consumeType: ConsumeType;
  messageModel: MessageModel;
  consumeFromWhere: string;
  subscriptions: SubscriptionData[];
}

export interface ProducerClient<C> {
  clientId: string;
  channel: C;
  lastUpdate: number;
}

export interface ConsumerRegistryOptions {
  clock?: () => number;
}

export interface ConsumerRegistry<C> {
  /** Adds or refreshes a consumer; says whether the member list or the subscriptions changed. */
  registerConsumer(reg: ConsumerRegistration<C>): { membersChanged: boolean; subscriptionsChanged: boolean };
  /** Removes a consumer; true if it was there. */
  unregisterConsumer(group: string, clientId: string): boolean;
  registerProducer(group: string, clientId: string, channel: C): void;
  unregisterProducer(group: string, clientId: string): void;
  /** Removes everything that came on `channel`; returns the consumer groups that lost a member. */
  channelClosed(channel: C): string[];
  /** Drops clients silent for longer than `expiryMs`; returns the consumer groups that lost a member. */
  scanExpired(expiryMs: number): string[];
  consumerGroup(group: string): ConsumerGroupInfo<C> | undefined;
  consumerIds(group: string): string[];
  consumerGroups(): string[];
  /** Consumer groups currently subscribed to `topic`. */
  groupsSubscribedTo(topic: string): string[];
  producers(group: string): ProducerClient<C>[];
  producerGroups(): string[];
}

/** Online producers and consumers per group (RocketMQ's ConsumerManager + ProducerManager), in memory. */
export function createConsumerRegistry<C>(options: ConsumerRegistryOptions = {}): ConsumerRegistry<C> {
  const clock = options.clock ?? Date.now;
  const consumers = new Map<string, ConsumerGroupInfo<C>>();
  const producerTable = new Map<string, Map<string, ProducerClient<C>>>();

  const removeConsumer = (info: ConsumerGroupInfo<C>, clientId: string): boolean => {
    if (!info.clients.delete(clientId)) return false;
    if (info.clients.size === 0) consumers.delete(info.group);
    return true;
  };

  return {
    registerConsumer(reg) {
      const now = clock();
      let info = consumers.get(reg.group);
      if (!info) {
        info = {
          group: reg.group,
          consumeType: reg.consumeType,
          messageModel: reg.messageModel,
          consumeFromWhere: reg.consumeFromWhere,
          subscriptions: new Map(),
          clients: new Map(),
          lastUpdate: now,
        };
        consumers.set(reg.group, info);
      }
      info.consumeType = reg.consumeType;
      info.messageModel = reg.messageModel;
      info.consumeFromWhere = reg.consumeFromWhere;
      info.lastUpdate = now;

      const prev = info.clients.get(reg.clientId);
      const membersChanged = !prev || prev.channel !== reg.channel;
      info.clients.set(reg.clientId, {
        clientId: reg.clientId,
        channel: reg.channel,
        language: reg.language ?? "JAVA",
        version: reg.version ?? 0,
        lastUpdate: now,
      });

      let subscriptionsChanged = false;
      const incoming = new Map(reg.subscriptions.map((s) => [s.topic, s]));
      for (const [topic, sub] of incoming) {
        const old = info.subscriptions.get(topic);
        if (!old || old.subString !== sub.subString || old.expressionType !== sub.expressionType) {
          subscriptionsChanged = true;
          info.subscriptions.set(topic, sub);
        } else if (sub.subVersion > old.subVersion) {
          info.subscriptions.set(topic, sub);
        }
      }
      // A heartbeat carries the whole subscription set of the group's client: topics it dropped go away.
      for (const topic of [...info.subscriptions.keys()])
        if (!incoming.has(topic)) {
          info.subscriptions.delete(topic);
          subscriptionsChanged = true;
        }
      return { membersChanged, subscriptionsChanged };
    },
    unregisterConsumer(group, clientId) {
      const info = consumers.get(group);
      return info ? removeConsumer(info, clientId) : false;
    },
    registerProducer(group, clientId, channel) {
      let m = producerTable.get(group);
      if (!m) {
        m = new Map();
        producerTable.set(group, m);
      }
      m.set(clientId, { clientId, channel, lastUpdate: clock() });
    },
    unregisterProducer(group, clientId) {
      const m = producerTable.get(group);
      if (!m) return;
      m.delete(clientId);
      if (m.size === 0) producerTable.delete(group);
    },
    channelClosed(channel) {
      const changed: string[] = [];
      for (const info of [...consumers.values()]) {
        let lost = false;
        for (const c of [...info.clients.values()])
          if (c.channel === channel) lost = removeConsumer(info, c.clientId) || lost;
        if (lost) changed.push(info.group);
      }
      for (const [group, m] of [...producerTable]) {
        for (const p of [...m.values()]) if (p.channel === channel) m.delete(p.clientId);
        if (m.size === 0) producerTable.delete(group);
      }
      return changed;
    },
    scanExpired(expiryMs) {
      const now = clock();
      const changed: string[] = [];
      for (const info of [...consumers.values()]) {
        let lost = false;
        for (const c of [...info.clients.values()])
          if (now - c.lastUpdate > expiryMs) lost = removeConsumer(info, c.clientId) || lost;
        if (lost) changed.push(info.group);
      }
      for (const [group, m] of [...producerTable]) {
        for (const p of [...m.values()]) if (now - p.lastUpdate > expiryMs) m.delete(p.clientId);
        if (m.size === 0) producerTable.delete(group);
      }
      return changed;
    },
    consumerGroup: (group) => consumers.get(group),
    consumerIds: (group) => [...(consumers.get(group)?.clients.keys() ?? [])],
    consumerGroups: () => [...consumers.keys()],
    groupsSubscribedTo(topic) {
      const out: string[] = [];
      for (const info of consumers.values()) if (info.subscriptions.has(topic)) out.push(info.group);
      return out;
    },
    producers: (group) => [...(producerTable.get(group)?.values() ?? [])],
    producerGroups: () => [...producerTable.keys()],
  };
}
