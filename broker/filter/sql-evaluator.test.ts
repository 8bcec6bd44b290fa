import { describe, expect, test } from "bun:test";
import { evaluateSql, matchesSql } from "./sql-evaluator.ts";
import { parseSql, type SqlValue } from "./sql-parser.ts";

type Properties = Record<string, string>;
const evaluate = (source: string, properties: Properties = {}): SqlValue =>
  evaluateSql(parseSql(source, 64), properties);
const matches = (source: string, properties: Properties = {}): boolean =>
  matchesSql(parseSql(source, 64), properties);

/** Asserts the three-valued result of each [expression, properties, expected] row. */
function table(rows: [string, Properties, boolean | null][]): void {
  for (const [source, properties, expected] of rows) {
    expect({ source, properties, result: evaluate(source, properties) }).toEqual({
      source,
      properties,
      result: expected,
    });
    expect(matches(source, properties)).toBe(expected === true);
  }
}

describe("comparisons", () => {
  test("= and <> on strings are exact and case-sensitive", () => {
    table([
      ["region = 'eu'", { region: "eu" }, true],
      ["region = 'eu'", { region: "EU" }, false],
      ["region = 'eu'", { region: "eu " }, false],
      ["region <> 'eu'", { region: "us" }, true],
      ["region <> 'eu'", { region: "eu" }, false],
      ["'eu' = region", { region: "eu" }, true],
      ["a = b", { a: "x", b: "x" }, true],
      ["a = b", { a: "x", b: "y" }, false],
      ["a <> b", { a: "x", b: "y" }, true],
      ["msg = 'it''s'", { msg: "it's" }, true],
      ["a = ''", { a: "" }, true],
    ]);
  });

  test("a numeric literal converts the property to a number", () => {
    table([
      ["a = 5", { a: "5" }, true],
      ["a = 5", { a: "05" }, true],
      ["a = 5", { a: "+5" }, true],
      ["a = 5", { a: "5.0" }, true],
      ["a = 5.0", { a: "5" }, true],
      ["a = 5", { a: "6" }, false],
      ["a <> 5", { a: "6" }, true],
      ["a = '5'", { a: "05" }, false],
      ["a > 5", { a: "6" }, true],
      ["a > 5", { a: "5" }, false],
      ["a >= 5", { a: "5" }, true],
      ["a < 5", { a: "-10" }, true],
      ["a <= -5", { a: "-5" }, true],
      ["a > 5", { a: "5.5" }, true],
      ["a > 3.1E10", { a: "31000000001" }, true],
      ["a < .5", { a: "0.25" }, true],
      ["a > 10", { a: "1e2" }, true],
      ["5 < a", { a: "6" }, true],
      ["a > 0", { a: "3000000000" }, true],
    ]);
  });

  test("long values compare exactly, beyond double precision", () => {
    table([
      ["a = 9007199254740993", { a: "9007199254740993" }, true],
      ["a = 9007199254740992", { a: "9007199254740993" }, false],
      ["a > 9223372036854775806", { a: "9223372036854775807" }, true],
      ["a = -9223372036854775808", { a: "-9223372036854775808" }, true],
      ["a < 9223372036854775807", { a: "99999999999999999999" }, false],
    ]);
  });

  test("a value that is not a number makes a numeric comparison unknown", () => {
    table([
      ["a = 5", { a: "five" }, null],
      ["a <> 5", { a: "five" }, null],
      ["a > 5", { a: "" }, null],
      ["a > 5", { a: " 6" }, null],
      ["a > 5", { a: "6px" }, null],
      ["a > 5", { a: "NaN" }, null],
      ["a > 5", { a: "Infinity" }, null],
      ["a > 5", { a: "0x10" }, null],
    ]);
  });

  test("ordering two properties compares them as numbers", () => {
    table([
      ["a > b", { a: "10", b: "9" }, true],
      ["a > b", { a: "10", b: "9.5" }, true],
      ["a < b", { a: "10", b: "9" }, false],
      ["a > b", { a: "b", b: "a" }, null],
    ]);
  });

  test("booleans compare with 'true'/'false' in any case; other text is unknown", () => {
    table([
      ["flag = TRUE", { flag: "true" }, true],
      ["flag = TRUE", { flag: "TRUE" }, true],
      ["flag = true", { flag: "false" }, false],
      ["flag = FALSE", { flag: "False" }, true],
      ["flag <> FALSE", { flag: "true" }, true],
      ["flag = TRUE", { flag: "yes" }, null],
      ["flag = FALSE", { flag: "1" }, null],
      ["TRUE = 1", {}, false],
      ["TRUE = TRUE", {}, true],
      ["(a > 1) = TRUE", { a: "2" }, true],
      ["(a > 1) = FALSE", { a: "2" }, false],
    ]);
  });

  test("unary minus negates numbers and numeric properties only", () => {
    table([
      ["-a > 5", { a: "-10" }, true],
      ["-a = 2.5", { a: "-2.5" }, true],
      ["-a > 5", { a: "x" }, null],
      ["- -a = 5", { a: "5" }, true],
      ["- -a = 5", { a: "x" }, null],
      ["+a = 5", { a: "5" }, true],
    ]);
  });

  test("literals compare with each other", () => {
    table([
      ["1 = 1", {}, true],
      ["1 = 1.0", {}, true],
      ["2 > 1.5", {}, true],
      ["'a' = 'a'", {}, true],
      ["'5' = 5", {}, true],
      ["'x' = 5", {}, null],
    ]);
  });
});

describe("NULL (missing property) handling", () => {
  test("every comparison with a missing property is unknown, both sides and both forms", () => {
    table([
      ["a = 'x'", {}, null],
      ["'x' = a", {}, null],
      ["a <> 'x'", {}, null],
      ["'x' <> a", {}, null],
      ["a = b", {}, null],
      ["a = b", { a: "x" }, null],
      ["a > 1", {}, null],
      ["a BETWEEN 1 AND 2", {}, null],
      ["a NOT BETWEEN 1 AND 2", {}, null],
      ["a IN ('x')", {}, null],
      ["a NOT IN ('x')", {}, null],
      ["flag", {}, null],
      ["NULL", {}, null],
    ]);
  });

  test("IS NULL and IS NOT NULL are never unknown", () => {
    table([
      ["a IS NULL", {}, true],
      ["a IS NULL", { a: "" }, false],
      ["a IS NOT NULL", { a: "" }, true],
      ["a IS NOT NULL", {}, false],
      ["(a > 1) IS NULL", {}, true],
      ["(a > 1) IS NULL", { a: "x" }, true],
      ["(a > 1) IS NOT NULL", { a: "5" }, true],
      ["-a IS NULL", { a: "x" }, true],
    ]);
  });

  test("properties inherited from Object.prototype do not exist", () => {
    table([
      ["constructor IS NULL", {}, true],
      ["toString = 'x'", {}, null],
      ["__proto__ IN ('x')", {}, null],
      ["hasOwnProperty IS NOT NULL", { hasOwnProperty: "1" }, true],
    ]);
  });
});

describe("logic", () => {
  test("AND, OR and NOT follow three-valued logic", () => {
    const T = "t = 1";
    const F = "t = 2";
    const U = "missing = 1";
    const p = { t: "1" };
    table([
      [`${T} AND ${T}`, p, true],
      [`${T} AND ${F}`, p, false],
      [`${T} AND ${U}`, p, null],
      [`${F} AND ${U}`, p, false],
      [`${U} AND ${F}`, p, false],
      [`${U} AND ${U}`, p, null],
      [`${T} OR ${F}`, p, true],
      [`${F} OR ${F}`, p, false],
      [`${F} OR ${U}`, p, null],
      [`${U} OR ${T}`, p, true],
      [`NOT ${T}`, p, false],
      [`NOT ${F}`, p, true],
      [`NOT ${U}`, p, null],
      [`NOT (${U} OR ${F})`, p, null],
    ]);
  });

  test("precedence is NOT, then AND, then OR", () => {
    const p = { a: "1", b: "2", c: "3" };
    table([
      ["a = 1 OR b = 0 AND c = 0", p, true],
      ["(a = 1 OR b = 0) AND c = 0", p, false],
      ["NOT a = 1 OR b = 2", p, true],
      ["NOT (a = 1 OR b = 2)", p, false],
      ["NOT a = 0 AND NOT b = 0 AND NOT c = 3", p, false],
      ["not a = 0 and not b = 0 or c = 3", p, true],
    ]);
  });

  test("a bad conversion in one branch does not spoil the other", () => {
    table([
      ["a > 5 OR b = 'x'", { a: "abc", b: "x" }, true],
      ["a > 5 AND b = 'x'", { a: "abc", b: "y" }, false],
    ]);
  });

  test("a bare property is read as a boolean; TRUE and FALSE stand for themselves", () => {
    table([
      ["flag", { flag: "true" }, true],
      ["flag", { flag: "FALSE" }, false],
      ["flag", { flag: "1" }, null],
      ["NOT flag", { flag: "false" }, true],
      ["NOT flag", { flag: "anything" }, null],
      ["TRUE", {}, true],
      ["FALSE", {}, false],
      ["TRUE AND flag", { flag: "true" }, true],
    ]);
  });
});

describe("BETWEEN and IN", () => {
  test("BETWEEN is inclusive; NOT BETWEEN is its complement", () => {
    table([
      ["a BETWEEN 2 AND 10", { a: "2" }, true],
      ["a BETWEEN 2 AND 10", { a: "10" }, true],
      ["a BETWEEN 2 AND 10", { a: "6.5" }, true],
      ["a BETWEEN 2 AND 10", { a: "1" }, false],
      ["a BETWEEN 2 AND 10", { a: "11" }, false],
      ["a NOT BETWEEN 2 AND 10", { a: "1" }, true],
      ["a NOT BETWEEN 2 AND 10", { a: "5" }, false],
      ["a NOT BETWEEN 2 AND 10", { a: "10" }, false],
      ["a BETWEEN -1.5 AND 1.5", { a: "-1" }, true],
      ["a BETWEEN 2 AND 10", { a: "x" }, null],
      ["a BETWEEN lo AND hi", { a: "5", lo: "1", hi: "9" }, true],
      ["a BETWEEN lo AND hi", { a: "5", lo: "1" }, null],
      ["a BETWEEN lo AND hi", { a: "5", lo: "6" }, false],
      ["a BETWEEN 5 AND 5", { a: "5" }, true],
    ]);
  });

  test("IN and NOT IN compare strings exactly", () => {
    table([
      ["a IN ('3', '4', '5')", { a: "4" }, true],
      ["a IN ('3', '4', '5')", { a: "6" }, false],
      ["a IN ('3', '4', '5')", { a: "04" }, false],
      ["a NOT IN ('6', '4', '5')", { a: "3" }, true],
      ["a NOT IN ('6', '4', '5')", { a: "4" }, false],
      ["a IN ('x')", { a: "X" }, false],
      ["a IN ('')", { a: "" }, true],
      ["TAGS IN ('TagA', 'TagB')", { TAGS: "TagB" }, true],
    ]);
  });
});

describe("CONTAINS, STARTSWITH, ENDSWITH", () => {
  test("match substrings, prefixes and suffixes", () => {
    table([
      ["value contains 'x'", { value: "axb" }, true],
      ["value startswith 'ax'", { value: "axb" }, true],
      ["value endswith 'xb'", { value: "axb" }, true],
      ["value contains 'u'", { value: "axb" }, false],
      ["value startswith 'x'", { value: "axb" }, false],
      ["value endswith 'a'", { value: "axb" }, false],
      ["value not contains 'x'", { value: "axb" }, false],
      ["value not startswith 'x'", { value: "axb" }, true],
      ["value not endswith 'xb'", { value: "axb" }, false],
      ["value contains '.'", { value: "axb" }, false],
      ["value contains 'X'", { value: "axb" }, false],
      ["' ' contains ' '", {}, true],
      ["'axb' not endswith 'u'", {}, true],
    ]);
  });

  test("RocketMQ's rule: an empty search text, a missing or non-string value give FALSE for both forms", () => {
    table([
      ["value contains ''", { value: "axb" }, false],
      ["value not contains ''", { value: "axb" }, false],
      ["value startswith 'x'", {}, false],
      ["value not startswith 'x'", {}, false],
      ["value not endswith 'x'", {}, false],
      ["NOT (value contains 'x')", {}, true],
      ["5 contains '5'", {}, false],
      ["(a = 1) not contains 'x'", { a: "1" }, false],
    ]);
  });
});
