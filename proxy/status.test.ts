import { describe, expect, test } from "bun:test";
import { Code as ConnectCode, ConnectError } from "@connectrpc/connect";
import { MqError } from "../proto/error.ts";
import { ResponseCode } from "../proto/response-code.ts";
import { Code } from "../proto/v2.ts";
import { receiptHandleStatusOf, statusOf, toConnectCode, toV2Code, transportError } from "./status.ts";

describe("toV2Code", () => {
  test.each(Object.entries(ResponseCode))(
    "maps %s (%d) to a v2 code other than UNSPECIFIED",
    (_name, code) => {
      const v2 = toV2Code(code);
      expect(v2).not.toBe(Code.CODE_UNSPECIFIED);
      expect(Code[v2]).toBeString();
    },
  );

  test("only SUCCESS maps to OK", () => {
    const ok = Object.entries(ResponseCode).filter(([, code]) => toV2Code(code) === Code.OK);
    expect(ok).toEqual([["SUCCESS", 0]]);
  });

  test("keeps the codes clients branch on", () => {
    expect(toV2Code(ResponseCode.TOPIC_NOT_EXIST)).toBe(Code.TOPIC_NOT_FOUND);
    expect(toV2Code(ResponseCode.NO_PERMISSION)).toBe(Code.FORBIDDEN);
    expect(toV2Code(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST)).toBe(Code.CONSUMER_GROUP_NOT_FOUND);
    expect(toV2Code(ResponseCode.SYSTEM_BUSY)).toBe(Code.TOO_MANY_REQUESTS);
    expect(toV2Code(ResponseCode.FLUSH_DISK_TIMEOUT)).toBe(Code.MASTER_PERSISTENCE_TIMEOUT);
    expect(toV2Code(ResponseCode.SLAVE_NOT_AVAILABLE)).toBe(Code.HA_NOT_AVAILABLE);
  });

  test("an unknown remoting code is an internal error", () => {
    expect(toV2Code(-77)).toBe(Code.INTERNAL_SERVER_ERROR);
    expect(toV2Code(99999)).toBe(Code.INTERNAL_SERVER_ERROR);
  });
});

describe("statusOf", () => {
  test("carries an MqError's code and message", () => {
    const s = statusOf(new MqError(ResponseCode.TOPIC_NOT_EXIST, "topic nope does not exist"));
    expect(s.code).toBe(Code.TOPIC_NOT_FOUND);
    expect(s.message).toBe("topic nope does not exist");
  });

  test("turns anything else into INTERNAL_SERVER_ERROR", () => {
    expect(statusOf(new TypeError("boom")).code).toBe(Code.INTERNAL_SERVER_ERROR);
    expect(statusOf("text").code).toBe(Code.INTERNAL_SERVER_ERROR);
  });
});

describe("toConnectCode", () => {
  const codes = Object.values(Code).filter((v): v is Code => typeof v === "number");

  test.each(codes.map((c) => [Code[c], c] as const))("maps %s to a transport code", (_name, code) => {
    const c = toConnectCode(code);
    expect(ConnectCode[c]).toBeString();
  });

  test("groups codes by family", () => {
    expect(toConnectCode(Code.TOPIC_NOT_FOUND)).toBe(ConnectCode.NotFound);
    expect(toConnectCode(Code.ILLEGAL_TOPIC)).toBe(ConnectCode.InvalidArgument);
    expect(toConnectCode(Code.UNAUTHORIZED)).toBe(ConnectCode.Unauthenticated);
    expect(toConnectCode(Code.FORBIDDEN)).toBe(ConnectCode.PermissionDenied);
    expect(toConnectCode(Code.TOO_MANY_REQUESTS)).toBe(ConnectCode.ResourceExhausted);
    expect(toConnectCode(Code.INTERNAL_SERVER_ERROR)).toBe(ConnectCode.Internal);
    expect(toConnectCode(Code.NOT_IMPLEMENTED)).toBe(ConnectCode.Unimplemented);
  });
});

describe("transportError", () => {
  test("gives a thrown MqError the transport code of its v2 code, and anything else Internal", () => {
    expect(transportError(new MqError(ResponseCode.NO_PERMISSION, "no")).code).toBe(
      ConnectCode.PermissionDenied,
    );
    expect(transportError(new MqError(ResponseCode.SYSTEM_BUSY, "busy")).code).toBe(
      ConnectCode.ResourceExhausted,
    );
    expect(transportError(new Error("bug")).code).toBe(ConnectCode.Internal);
    const own = new ConnectError("kept", ConnectCode.Unavailable);
    expect(transportError(own)).toBe(own);
  });
});

describe("receiptHandleStatusOf", () => {
  test("a broker refusing the handle is INVALID_RECEIPT_HANDLE; other faults keep their mapping", () => {
    expect(receiptHandleStatusOf(new MqError(ResponseCode.INVALID_PARAMETER, "bad")).code).toBe(
      Code.INVALID_RECEIPT_HANDLE,
    );
    expect(receiptHandleStatusOf(new MqError(ResponseCode.BROKER_NOT_EXIST, "x")).code).toBe(
      Code.INVALID_RECEIPT_HANDLE,
    );
    expect(receiptHandleStatusOf(new MqError(ResponseCode.SYSTEM_BUSY, "busy")).code).toBe(
      Code.TOO_MANY_REQUESTS,
    );
  });
});
