import { describe, expect, test } from "bun:test";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { compileFilter, defaultFilterOptions, type FilterExpression, javaStringHashCode } from "./index.ts";

function refusal(subscription: FilterExpression, options = defaultFilterOptions): MqError {
  try {
    compileFilter(subscription, options);
  } catch (err) {
    expect(err).toBeInstanceOf(MqError);
    return err as MqError;
  }
  throw new Error(`expected ${JSON.stringify(subscription)} to be refused`);
}

describe("compileFilter TAG", () => {
  test("filters by hash code and then by the TAGS property", () => {
    const filter = compileFilter({ expressionType: "TAG", expression: "TagA || TagB" });
    expect(filter.expressionType).toBe("TAG");
    expect(filter.expression).toBe("TagA || TagB");
    expect(filter.matchesTagsCode(javaStringHashCode("TagB"))).toBe(true);
    expect(filter.matchesTagsCode(javaStringHashCode("TagC"))).toBe(false);
    expect(filter.matches({ TAGS: "TagA", KEYS: "k" })).toBe(true);
    expect(filter.matches({ TAGS: "TagC" })).toBe(false);
    expect(filter.matches({})).toBe(false);
  });

  test("a missing, null or empty expressionType means TAG and an empty expression means '*'", () => {
    for (const subscription of [
      {},
      { expressionType: null, expression: null },
      { expressionType: "", expression: "" },
    ]) {
      const filter = compileFilter(subscription);
      expect(filter.expressionType).toBe("TAG");
      expect(filter.expression).toBe("*");
      expect(filter.matchesTagsCode(42)).toBe(true);
      expect(filter.matches({})).toBe(true);
    }
  });

  test("'||' without tags is a parse failure", () => {
    const err = refusal({ expressionType: "TAG", expression: "||" });
    expect(err.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    expect(err.message).toBe("tag expression '||' names no tag");
  });
});

describe("compileFilter SQL92", () => {
  test("passes every tagsCode and decides on the properties", () => {
    const filter = compileFilter({
      expressionType: "SQL92",
      expression: "(a between 2 and 10) AND (b not between 6 and 9) AND TAGS IN ('x')",
    });
    expect(filter.expressionType).toBe("SQL92");
    expect(filter.matchesTagsCode(0)).toBe(true);
    expect(filter.matchesTagsCode(javaStringHashCode("other"))).toBe(true);
    expect(filter.matches({ a: "5", b: "10", TAGS: "x" })).toBe(true);
    expect(filter.matches({ a: "5", b: "7", TAGS: "x" })).toBe(false);
    expect(filter.matches({ a: "5", TAGS: "x" })).toBe(false);
  });

  test("one compiled filter gives the same answers when reused", () => {
    const filter = compileFilter({ expressionType: "SQL92", expression: "a > 1" });
    for (let i = 0; i < 3; i++) {
      expect(filter.matches({ a: "2" })).toBe(true);
      expect(filter.matches({ a: "1" })).toBe(false);
    }
    expect(Object.isFrozen(filter)).toBe(true);
  });

  test("an empty or blank SQL92 expression is a parse failure", () => {
    for (const expression of ["", "   ", null]) {
      const err = refusal({ expressionType: "SQL92", expression });
      expect(err.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
      expect(err.message).toBe("SQL92 expression is empty");
    }
  });

  test("bad SQL92 is SUBSCRIPTION_PARSE_FAILED with position and problem", () => {
    const cases: [string, string][] = [
      ["a = 'abc", "SQL92 parse error at 4: unterminated string literal (missing closing quote)"],
      ["a > ", "SQL92 parse error at 4: expected a value after '>' but found end of expression"],
      ["a ~ 1", 'SQL92 parse error at 2: unexpected character "~"'],
      ["a IN ()", "SQL92 parse error at 6: IN list is empty"],
      ["a = 1 AND", "SQL92 parse error at 9: expected a value after AND but found end of expression"],
    ];
    for (const [expression, message] of cases) {
      const err = refusal({ expressionType: "SQL92", expression });
      expect(err.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
      expect(err.message).toBe(message);
    }
  });

  test("deep nesting is refused at the configured depth", () => {
    const nested = (n: number) => `${"(".repeat(n)}a = 1${")".repeat(n)}`;
    expect(compileFilter({ expressionType: "SQL92", expression: nested(64) }).matches({ a: "1" })).toBe(true);
    const err = refusal({ expressionType: "SQL92", expression: nested(65) });
    expect(err.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    expect(err.message).toBe("SQL92 parse error at 64: expression is nested deeper than 64 levels");
    const shallow = refusal(
      { expressionType: "SQL92", expression: nested(3) },
      { ...defaultFilterOptions, maxNestingDepth: 2 },
    );
    expect(shallow.message).toContain("nested deeper than 2 levels");
  });
});

describe("compileFilter limits and types", () => {
  test("refuses expressions longer than maxExpressionLength before parsing", () => {
    const long = `a IN (${Array.from({ length: 3000 }, (_, i) => `'${i}'`).join(",")})`;
    expect(long.length).toBeGreaterThan(defaultFilterOptions.maxExpressionLength);
    const sql = refusal({ expressionType: "SQL92", expression: long });
    expect(sql.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    expect(sql.message).toBe(
      `SQL92 expression is ${long.length} characters long, more than the limit of 16384`,
    );

    const tags = refusal({ expression: "T||".repeat(6000) });
    expect(tags.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    expect(tags.message).toBe("TAG expression is 18000 characters long, more than the limit of 16384");

    const huge = refusal({ expressionType: "SQL92", expression: "(".repeat(10_000_000) });
    expect(huge.message).toContain("more than the limit of 16384");
  });

  test("expressions up to the limit compile", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `'${i}'`).join(",");
    const filter = compileFilter({ expressionType: "SQL92", expression: `id IN (${ids})` });
    expect(filter.matches({ id: "1999" })).toBe(true);
    expect(filter.matches({ id: "2000" })).toBe(false);
  });

  test("an unknown expressionType is INVALID_PARAMETER", () => {
    for (const expressionType of ["sql92", "tag", "CLASS", "SQL"]) {
      const err = refusal({ expressionType, expression: "a = 1" });
      expect(err.code).toBe(ResponseCode.INVALID_PARAMETER);
      expect(err.message).toBe(`unknown filter expressionType "${expressionType}" (expected TAG or SQL92)`);
    }
  });
});
