import { expect, test } from "bun:test";
import { jsonLine } from "./json-line.ts";

test("prints one line with rounded numbers and null for NaN", () => {
  const line = jsonLine({ a: 1.23456, b: [Number.NaN, 2], c: { d: "x\ny" } });
  expect(line).toBe('{"a":1.235,"b":[null,2],"c":{"d":"x\\ny"}}');
  expect(line.includes("\n")).toBe(false);
});
