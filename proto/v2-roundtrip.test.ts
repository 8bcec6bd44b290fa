import { describe, expect, test } from "bun:test";
import {
  create,
  type DescMessage,
  equals,
  fromBinary,
  fromJson,
  type Message,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AddressScheme,
  ClientType,
  Code,
  DigestType,
  Encoding,
  FilterType,
  Language,
  MessageType,
  MessagingService,
  type SendMessageRequest,
  SendMessageRequestSchema,
  type TelemetryCommand,
  TelemetryCommandSchema,
} from "./v2.ts";

/** Names of fields (dotted paths) that are not set anywhere in the message tree; oneofs need one member set. */
function unsetFields(desc: DescMessage, message: Message, path = desc.name): string[] {
  const r = reflect(desc, message);
  const missing: string[] = [];
  for (const oneof of r.oneofs) {
    if (r.oneofCase(oneof) === undefined) missing.push(`${path}.${oneof.name}`);
  }
  for (const field of r.fields) {
    if (field.oneof) {
      if (r.oneofCase(field.oneof) !== field) continue;
    } else if (!r.isSet(field)) {
      missing.push(`${path}.${field.name}`);
      continue;
    }
    const own = message as unknown as Record<string, unknown>;
    // A oneof member's value sits in { case, value } under the oneof's name.
    const value = field.oneof
      ? (own[field.oneof.localName] as { value: unknown }).value
      : own[field.localName];
    const at = `${path}.${field.name}`;
    if (field.fieldKind === "message") {
      missing.push(...unsetFields(field.message, value as Message, at));
    } else if (field.fieldKind === "list" && field.listKind === "message") {
      for (const item of value as Message[]) missing.push(...unsetFields(field.message, item, at));
    } else if (field.fieldKind === "map" && field.mapKind === "message") {
      for (const item of Object.values(value as Record<string, Message>)) {
        missing.push(...unsetFields(field.message, item, at));
      }
    }
  }
  return missing;
}

function fullSendMessageRequest(): SendMessageRequest {
  return create(SendMessageRequestSchema, {
    messages: [
      {
        topic: { resourceNamespace: "ns-1", name: "TopicTest" },
        userProperties: { color: "red", "unicode-ключ": "値 ✓", empty: "" },
        systemProperties: {
          tag: "TagA",
          keys: ["key-1", "key-2"],
          messageId: "01AC1100020A2F3B5C000000000000A1",
          bodyDigest: { type: DigestType.CRC32, checksum: "4A17B156" },
          bodyEncoding: Encoding.GZIP,
          messageType: MessageType.TRANSACTION,
          bornTimestamp: timestampFromMs(1_700_000_000_123),
          bornHost: "10.0.0.7",
          storeTimestamp: timestampFromMs(1_700_000_000_456),
          storeHost: "broker-a:10911",
          deliveryTimestamp: timestampFromMs(1_700_000_060_789),
          receiptHandle: "rh-opaque-1",
          queueId: 3,
          // Above 2^53, so a number-based int64 path would lose it.
          queueOffset: 9_007_199_254_740_993n,
          invisibleDuration: durationFromMs(30_500),
          deliveryAttempt: 2,
          messageGroup: "order-42",
          traceContext: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          orphanedTransactionRecoveryDuration: durationFromMs(6_250),
          deadLetterQueue: { topic: "TopicOrig", messageId: "01AC1100020A2F3B5C00000000000099" },
          liteTopic: "lite-7",
          priority: 5,
        },
        body: new Uint8Array([0, 1, 2, 0xfe, 0xff]),
      },
      {
        topic: { resourceNamespace: "ns-1", name: "TopicTest" },
        userProperties: { n: "2" },
        systemProperties: {
          tag: "",
          keys: ["k"],
          messageId: "second",
          bodyDigest: { type: DigestType.SHA1, checksum: "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
          bodyEncoding: Encoding.IDENTITY,
          messageType: MessageType.FIFO,
          bornTimestamp: timestampFromMs(1),
          bornHost: "::1",
          storeTimestamp: timestampFromMs(2),
          storeHost: "h",
          deliveryTimestamp: timestampFromMs(3),
          receiptHandle: "",
          queueId: 1,
          queueOffset: -1n,
          invisibleDuration: durationFromMs(1),
          deliveryAttempt: 0,
          messageGroup: "g",
          traceContext: "t",
          orphanedTransactionRecoveryDuration: durationFromMs(1_000),
          deadLetterQueue: { topic: "x", messageId: "y" },
          liteTopic: "",
          priority: 0,
        },
        body: new Uint8Array([0x61]),
      },
    ],
  });
}

function telemetrySettings(): TelemetryCommand {
  return create(TelemetryCommandSchema, {
    status: { code: Code.OK, message: "OK" },
    command: {
      case: "settings",
      value: {
        clientType: ClientType.PRODUCER,
        accessPoint: { scheme: AddressScheme.IPv4, addresses: [{ host: "127.0.0.1", port: 8081 }] },
        backoffPolicy: {
          maxAttempts: 3,
          strategy: {
            case: "exponentialBackoff",
            value: { initial: durationFromMs(1_010), max: durationFromMs(60_500), multiplier: 2 },
          },
        },
        requestTimeout: durationFromMs(3_250),
        pubSub: {
          case: "publishing",
          value: {
            topics: [{ resourceNamespace: "ns-1", name: "TopicTest" }],
            maxBodySize: 4_194_304,
            validateMessageType: true,
          },
        },
        userAgent: {
          language: Language.NODE_JS,
          version: "5.0.0",
          platform: "linux x64",
          hostname: "host-1",
        },
        metric: {
          on: true,
          endpoints: { scheme: AddressScheme.DOMAIN_NAME, addresses: [{ host: "otel", port: 4317 }] },
        },
      },
    },
  });
}

describe("SendMessageRequest round trip", () => {
  test("the fixture's first message sets every field, recursively (the second holds zero values)", () => {
    const first = fullSendMessageRequest().messages[0]!;
    expect(
      unsetFields(SendMessageRequestSchema, create(SendMessageRequestSchema, { messages: [first] })),
    ).toEqual([]);
  });

  test("binary: toBinary then fromBinary gives an equal message", () => {
    const request = fullSendMessageRequest();
    const bytes = toBinary(SendMessageRequestSchema, request);
    const decoded = fromBinary(SendMessageRequestSchema, bytes);
    expect(equals(SendMessageRequestSchema, decoded, request)).toBe(true);
    expect(decoded.messages[0]!.systemProperties!.queueOffset).toBe(9_007_199_254_740_993n);
    expect(decoded.messages[0]!.userProperties["unicode-ключ"]).toBe("値 ✓");
    expect(decoded.messages[0]!.body).toEqual(new Uint8Array([0, 1, 2, 0xfe, 0xff]));
    expect(toBinary(SendMessageRequestSchema, decoded)).toEqual(bytes);
  });

  test("explicit-presence fields keep zero values across the wire", () => {
    const decoded = fromBinary(
      SendMessageRequestSchema,
      toBinary(SendMessageRequestSchema, fullSendMessageRequest()),
    );
    const props = decoded.messages[1]!.systemProperties!;
    expect(props.tag).toBe("");
    expect(props.receiptHandle).toBe("");
    expect(props.deliveryAttempt).toBe(0);
    expect(props.priority).toBe(0);
    expect(props.liteTopic).toBe("");
  });

  test("JSON: toJson then fromJson (through JSON text) gives an equal message", () => {
    const request = fullSendMessageRequest();
    const text = JSON.stringify(toJson(SendMessageRequestSchema, request));
    const json = JSON.parse(text);
    // proto3 JSON mapping: lowerCamelCase names, int64 as string, RFC 3339 timestamps, "s" durations.
    const props = json.messages[0].systemProperties;
    expect(props.queueOffset).toBe("9007199254740993");
    expect(props.bornTimestamp).toBe("2023-11-14T22:13:20.123Z");
    expect(props.invisibleDuration).toBe("30.500s");
    expect(props.messageType).toBe("TRANSACTION");
    expect(json.messages[0].body).toBe("AAEC/v8=");
    const decoded = fromJson(SendMessageRequestSchema, json);
    expect(equals(SendMessageRequestSchema, decoded, request)).toBe(true);
  });
});

describe("TelemetryCommand round trip", () => {
  test("settings with publishing and an exponential backoff policy survive binary and JSON", () => {
    const command = telemetrySettings();
    expect(unsetFields(TelemetryCommandSchema, command)).toEqual([]);
    const viaBinary = fromBinary(TelemetryCommandSchema, toBinary(TelemetryCommandSchema, command));
    const viaJson = fromJson(
      TelemetryCommandSchema,
      JSON.parse(JSON.stringify(toJson(TelemetryCommandSchema, command))),
    );
    for (const decoded of [viaBinary, viaJson]) {
      expect(equals(TelemetryCommandSchema, decoded, command)).toBe(true);
      expect(decoded.command.case).toBe("settings");
      if (decoded.command.case !== "settings") throw new Error("unreachable");
      const settings = decoded.command.value;
      expect(settings.pubSub.case).toBe("publishing");
      expect(settings.backoffPolicy?.strategy.case).toBe("exponentialBackoff");
      expect(settings.backoffPolicy?.strategy.value?.$typeName).toBe("apache.rocketmq.v2.ExponentialBackoff");
    }
  });

  test("a customized backoff and a subscription round-trip too", () => {
    const command = create(TelemetryCommandSchema, {
      command: {
        case: "settings",
        value: {
          clientType: ClientType.PUSH_CONSUMER,
          backoffPolicy: {
            maxAttempts: 16,
            strategy: {
              case: "customizedBackoff",
              value: { next: [durationFromMs(1_000), durationFromMs(5_000)] },
            },
          },
          pubSub: {
            case: "subscription",
            value: {
              group: { name: "GID" },
              subscriptions: [
                { topic: { name: "T" }, expression: { type: FilterType.TAG, expression: "TagA || TagB" } },
              ],
              fifo: false,
              receiveBatchSize: 32,
              longPollingTimeout: durationFromMs(30_000),
            },
          },
        },
      },
    });
    const decoded = fromBinary(TelemetryCommandSchema, toBinary(TelemetryCommandSchema, command));
    expect(equals(TelemetryCommandSchema, decoded, command)).toBe(true);
    if (decoded.command.case !== "settings" || decoded.command.value.pubSub.case !== "subscription") {
      throw new Error(`unexpected command ${decoded.command.case}`);
    }
    expect(decoded.command.value.pubSub.value.fifo).toBe(false);
  });
});

describe("fromBinary on bad bytes", () => {
  const bad: [string, number[]][] = [
    ["a truncated varint tag", [0xff, 0xff, 0xff]],
    ["a length prefix past the end", [0x0a, 0x05, 0x0a, 0x00]],
    ["field number 0", [0x00]],
    ["reserved wire type 6", [0x0e]],
    ["wire type 7", [0x0f]],
    ["an unmatched end-group tag", [0x0c]],
    ["invalid UTF-8 in a string field", [0x0a, 0x06, 0x0a, 0x04, 0x12, 0x02, 0xc3, 0x28]],
    ["plain text", [...new TextEncoder().encode("hello world, not protobuf")]],
  ];
  for (const [name, bytes] of bad) {
    test(`throws on ${name}`, () => {
      expect(() => fromBinary(SendMessageRequestSchema, new Uint8Array(bytes))).toThrow();
    });
  }

  test("does not check a known field's wire type: field 1 sent as varint 0 reads as one empty Message", () => {
    // protobuf-es reads by the schema's type, so these bytes parse; handlers must validate content
    // (topic, message id) rather than rely on decoding to reject nonsense.
    const decoded = fromBinary(SendMessageRequestSchema, new Uint8Array([0x08, 0x00]));
    expect(decoded.messages).toHaveLength(1);
    expect(decoded.messages[0]!.topic).toBeUndefined();
    expect(decoded.messages[0]!.body).toEqual(new Uint8Array());
  });

  test("keeps well-formed unknown fields (a newer peer's additions) and writes them back out", () => {
    // Field 99, varint 1: valid protobuf, not in v2.1.2.
    const bytes = new Uint8Array([0x98, 0x06, 0x01]);
    const decoded = fromBinary(SendMessageRequestSchema, bytes);
    expect(decoded.messages).toEqual([]);
    expect(decoded.$unknown?.map((f) => f.no)).toEqual([99]);
    expect(toBinary(SendMessageRequestSchema, decoded)).toEqual(bytes);
  });
});

describe("MessagingService descriptor", () => {
  test("has the v2.1.2 RPCs with their streaming kinds", () => {
    const kinds = Object.fromEntries(MessagingService.methods.map((m) => [m.name, m.methodKind]));
    expect(MessagingService.typeName).toBe("apache.rocketmq.v2.MessagingService");
    expect(Object.keys(kinds)).toHaveLength(17);
    expect(kinds.ReceiveMessage).toBe("server_streaming");
    expect(kinds.PullMessage).toBe("server_streaming");
    expect(kinds.Telemetry).toBe("bidi_streaming");
    expect(kinds.SendMessage).toBe("unary");
    expect(kinds.RecallMessage).toBe("unary");
  });
});
