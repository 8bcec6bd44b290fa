import { expect, test } from "bun:test";
import { javaStringHashCode, tagsStringToTagsCode } from "./string-hash-code.ts";

test("matches Java String.hashCode, with int32 overflow and UTF-16 code units", () => {
  // Values computed with java.lang.String#hashCode.
  expect(javaStringHashCode("")).toBe(0);
  expect(javaStringHashCode("TagA")).toBe(2598919);
  expect(javaStringHashCode("hello world")).toBe(1794106052);
  expect(javaStringHashCode("polygenelubricants")).toBe(-2147483648);
  expect(javaStringHashCode("😀")).toBe(1772899);
});

test("tagsCode is 0 without a tag", () => {
  expect(tagsStringToTagsCode(undefined)).toBe(0);
  expect(tagsStringToTagsCode("")).toBe(0);
  expect(tagsStringToTagsCode("TagA")).toBe(2598919);
});
