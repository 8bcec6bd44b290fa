import { describe, expect, test } from "bun:test";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { javaStringHashCode, matchesTag, matchesTagsCode, parseTagExpression } from "./tag-expression.ts";

describe("javaStringHashCode", () => {
  test("matches Java's String.hashCode, including overflow and UTF-16 code units", () => {
    expect(javaStringHashCode("")).toBe(0);
    expect(javaStringHashCode("a")).toBe(97);
    expect(javaStringHashCode("hello")).toBe(99162322);
    expect(javaStringHashCode("TagA")).toBe(2598919);
    expect(javaStringHashCode("polygenelubricants")).toBe(-2147483648);
    expect(javaStringHashCode("Aa")).toBe(2112);
    expect(javaStringHashCode("BB")).toBe(2112);
    expect(javaStringHashCode("é")).toBe(233);
    expect(javaStringHashCode("😀")).toBe(0xd83d * 31 + 0xde00);
    expect(javaStringHashCode("中文")).toBe(0x4e2d * 31 + 0x6587);
  });
});

describe("parseTagExpression", () => {
  test("'*', empty, whitespace and null take every message", () => {
    for (const expression of ["*", "", "  ", " * ", null, undefined]) {
      const parsed = parseTagExpression(expression);
      expect(parsed.matchesAll).toBe(true);
      expect(parsed.tags.size).toBe(0);
    }
  });

  test("splits on ||, trims tags and ignores empty parts", () => {
    const parsed = parseTagExpression(" TagA||TagB ||  TagC || || TagA ");
    expect(parsed.matchesAll).toBe(false);
    expect([...parsed.tags]).toEqual(["TagA", "TagB", "TagC"]);
    expect([...parsed.tagsCodes]).toEqual(["TagA", "TagB", "TagC"].map(javaStringHashCode));
  });

  test("takes everything else literally, like RocketMQ's FilterAPI", () => {
    expect([...parseTagExpression("A | B").tags]).toEqual(["A | B"]);
    expect([...parseTagExpression("a.b:c/d").tags]).toEqual(["a.b:c/d"]);
    expect([...parseTagExpression("A || *").tags]).toEqual(["A", "*"]);
    expect([...parseTagExpression("A|||B").tags]).toEqual(["A", "|B"]);
  });

  test("refuses separators without any tag", () => {
    for (const expression of ["||", " || || ", "||||"]) {
      try {
        parseTagExpression(expression);
        throw new Error(`expected ${JSON.stringify(expression)} to be refused`);
      } catch (err) {
        expect(err).toBeInstanceOf(MqError);
        expect((err as MqError).code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
        expect((err as MqError).message).toBe(`tag expression '${expression.trim()}' names no tag`);
      }
    }
  });
});

describe("matching", () => {
  const tagAOrB = parseTagExpression("TagA || TagB");

  test("the tagsCode pre-filter passes the hash codes of the listed tags", () => {
    expect(matchesTagsCode(tagAOrB, javaStringHashCode("TagA"))).toBe(true);
    expect(matchesTagsCode(tagAOrB, javaStringHashCode("TagB"))).toBe(true);
    expect(matchesTagsCode(tagAOrB, javaStringHashCode("TagC"))).toBe(false);
    expect(matchesTagsCode(tagAOrB, 0)).toBe(false);
    expect(matchesTagsCode(parseTagExpression("*"), 12345)).toBe(true);
  });

  test("the pre-filter uses only the low 32 bits of the stored long, as Java's intValue", () => {
    const code = javaStringHashCode("polygenelubricants");
    const widened = code + 2 ** 32 * 5;
    expect(matchesTagsCode(parseTagExpression("polygenelubricants"), widened)).toBe(true);
  });

  test("a hash collision passes the pre-filter but not the exact tag check", () => {
    const aa = parseTagExpression("Aa");
    expect(matchesTagsCode(aa, javaStringHashCode("BB"))).toBe(true);
    expect(matchesTag(aa, "BB")).toBe(false);
    expect(matchesTag(aa, "Aa")).toBe(true);
  });

  test("the exact check compares the whole TAGS value", () => {
    expect(matchesTag(tagAOrB, "TagA")).toBe(true);
    expect(matchesTag(tagAOrB, "taga")).toBe(false);
    expect(matchesTag(tagAOrB, "TagA ")).toBe(false);
    expect(matchesTag(tagAOrB, undefined)).toBe(false);
    expect(matchesTag(parseTagExpression("*"), undefined)).toBe(true);
  });
});
