import { describe, expect, test } from "bun:test";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { parseSql, type SqlNode } from "./sql-parser.ts";

const depth = 64;
const parse = (source: string): SqlNode => parseSql(source, depth);

function parseFailure(source: string, maxDepth = depth): string {
  try {
    parseSql(source, maxDepth);
  } catch (err) {
    expect(err).toBeInstanceOf(MqError);
    expect((err as MqError).code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    return (err as MqError).message;
  }
  throw new Error(`expected ${JSON.stringify(source)} to be refused`);
}

/** Renders a tree compactly so precedence shows in the test. */
function show(node: SqlNode): string {
  switch (node.type) {
    case "literal":
      return typeof node.value === "string" ? `'${node.value}'` : String(node.value);
    case "property":
      return node.name;
    case "negate":
      return `-(${show(node.operand)})`;
    case "boolean-cast":
      return `bool(${show(node.operand)})`;
    case "not":
      return `NOT(${show(node.operand)})`;
    case "and":
    case "or":
      return `${node.type.toUpperCase()}(${node.operands.map(show).join(", ")})`;
    case "compare":
      return `(${show(node.left)} ${node.op} ${show(node.right)})`;
    case "between":
      return `(${show(node.operand)} ${node.negated ? "NOT " : ""}BETWEEN ${show(node.low)} ${show(node.high)})`;
    case "in":
      return `(${node.name} ${node.negated ? "NOT " : ""}IN ${[...node.values].join("|")})`;
    case "is-null":
      return `(${show(node.operand)} IS ${node.negated ? "NOT " : ""}NULL)`;
    case "string-match":
      return `(${show(node.operand)} ${node.negated ? "NOT " : ""}${node.op} '${node.search}')`;
  }
}

describe("parseSql precedence", () => {
  test("NOT binds tighter than AND, AND tighter than OR", () => {
    expect(show(parse("a = 1 OR b = 2 AND NOT c = 3"))).toBe("OR((a = 1), AND((b = 2), NOT((c = 3))))");
    expect(show(parse("NOT a = 1 AND b = 2"))).toBe("AND(NOT((a = 1)), (b = 2))");
    expect(show(parse("(a = 1 OR b = 2) AND c = 3"))).toBe("AND(OR((a = 1), (b = 2)), (c = 3))");
  });

  test("NOT applies to a whole predicate (standard SQL, unlike RocketMQ's (NOT a) = 1)", () => {
    expect(show(parse("NOT a > 5"))).toBe("NOT((a > 5))");
    expect(show(parse("NOT NOT a IS NULL"))).toBe("NOT(NOT((a IS NULL)))");
  });

  test("flattens chains of AND and of OR", () => {
    expect(show(parse("a=1 and b=2 AND c=3 And d=4"))).toBe("AND((a = 1), (b = 2), (c = 3), (d = 4))");
    expect(show(parse("a=1 or b=2 OR c=3"))).toBe("OR((a = 1), (b = 2), (c = 3))");
  });

  test("parses every predicate form, keywords in any case", () => {
    expect(show(parse("a between 1 AND 10"))).toBe("(a BETWEEN 1 10)");
    expect(show(parse("a NOT between -1 and 1.5"))).toBe("(a NOT BETWEEN -1 1.5)");
    expect(show(parse("a in ('x', 'y','x')"))).toBe("(a IN x|y)");
    expect(show(parse("a NOT IN ('it''s')"))).toBe("(a NOT IN it's)");
    expect(show(parse("a is null"))).toBe("(a IS NULL)");
    expect(show(parse("a IS not NULL"))).toBe("(a IS NOT NULL)");
    expect(show(parse("a contains 'x'"))).toBe("(a CONTAINS 'x')");
    expect(show(parse("a not startswith 'x'"))).toBe("(a NOT STARTSWITH 'x')");
    expect(show(parse("'axb' EndsWith 'b'"))).toBe("('axb' ENDSWITH 'b')");
    expect(show(parse("a <> 'x'"))).toBe("(a <> 'x')");
    expect(show(parse("a >= b"))).toBe("(a >= b)");
  });

  test("reads a bare property, TRUE, FALSE and NULL as conditions", () => {
    expect(show(parse("flag"))).toBe("bool(flag)");
    expect(show(parse("flag AND NOT other"))).toBe("AND(bool(flag), NOT(bool(other)))");
    expect(show(parse("TRUE"))).toBe("true");
    expect(show(parse("false OR null"))).toBe("OR(false, null)");
  });

  test("folds signs into numeric literals and keeps the full long range", () => {
    expect(show(parse("a = -9223372036854775808"))).toBe("(a = -9223372036854775808)");
    expect(show(parse("a = - -5"))).toBe("(a = 5)");
    expect(show(parse("a = +(-(2.5))"))).toBe("(a = -2.5)");
    expect(show(parse("-a < 0"))).toBe("(-(a) < 0)");
    expect(show(parse("+a < 0"))).toBe("(a < 0)");
    expect(show(parse("- - a < 0"))).toBe("(-(-(a)) < 0)");
    expect(show(parse("a > 9223372036854775807L"))).toBe("(a > 9223372036854775807)");
  });

  test("keeps property names case-sensitive and allows _ and $", () => {
    expect(show(parse("Region = 'x' AND _a$1 = 'y'"))).toBe("AND((Region = 'x'), (_a$1 = 'y'))");
  });
});

describe("parseSql errors", () => {
  test("dangling operators name the operator and the offset", () => {
    expect(parseFailure("a > ")).toBe(
      "SQL92 parse error at 4: expected a value after '>' but found end of expression",
    );
    expect(parseFailure("a = 1 AND")).toBe(
      "SQL92 parse error at 9: expected a value after AND but found end of expression",
    );
    expect(parseFailure("a = 1 OR OR b = 1")).toContain("at 9: expected a value after OR but found OR");
    expect(parseFailure("NOT")).toContain("at 3: expected a value after NOT");
    expect(parseFailure("a = -")).toContain("at 5: expected a value after '-'");
    expect(parseFailure("")).toBe("SQL92 parse error at 0: expected a value but found end of expression");
  });

  test("trailing or misplaced tokens are refused", () => {
    expect(parseFailure("a = 1 b = 2")).toBe(
      "SQL92 parse error at 6: expected AND, OR or end of expression but found property b",
    );
    expect(parseFailure("a = 1 = 2")).toContain("at 6: expected AND, OR or end of expression but found '='");
    expect(parseFailure("a = 1)")).toContain("found ')'");
    expect(parseFailure("(a = 1")).toBe("SQL92 parse error at 6: expected ')' but found end of expression");
    expect(parseFailure("a = ,")).toContain("expected a value after '=' but found ','");
    expect(parseFailure("a and between 2 and 10")).toContain(
      "at 6: expected a value after AND but found BETWEEN",
    );
  });

  test("IN needs a property and a non-empty list of string literals", () => {
    expect(parseFailure("a IN ()")).toBe("SQL92 parse error at 6: IN list is empty");
    expect(parseFailure("a NOT IN ()")).toContain("NOT IN list is empty");
    expect(parseFailure("a IN (1, 2)")).toContain("at 6: IN list accepts only string literals but found '1'");
    expect(parseFailure("a IN ('x' 'y')")).toContain(
      "at 10: expected ',' or ')' in IN list but found string 'y'",
    );
    expect(parseFailure("a IN ('x',)")).toContain("IN list accepts only string literals but found ')'");
    expect(parseFailure("a IN 'x'")).toContain("expected '(' after IN but found string 'x'");
    expect(parseFailure("a IN ('x'")).toContain("expected ',' or ')' in IN list but found end of expression");
    expect(parseFailure("'a' IN ('x')")).toBe("SQL92 parse error at 0: IN needs a property name on its left");
  });

  test("CONTAINS, STARTSWITH and ENDSWITH need a string literal", () => {
    expect(parseFailure("a contains x")).toContain(
      "at 11: expected a string literal after CONTAINS but found property x",
    );
    expect(parseFailure("a not contains 123")).toContain(
      "expected a string literal after NOT CONTAINS but found '123'",
    );
    expect(parseFailure("a startswith")).toContain("after STARTSWITH but found end of expression");
  });

  test("NOT before an unknown operator, IS without NULL, BETWEEN without AND", () => {
    expect(parseFailure("a NOT LIKE 'x'")).toContain(
      "at 6: expected BETWEEN, IN, CONTAINS, STARTSWITH or ENDSWITH after NOT but found property LIKE",
    );
    expect(parseFailure("a IS 5")).toContain("expected NULL after IS but found '5'");
    expect(parseFailure("a IS NOT 'x'")).toContain("expected NULL after IS NOT but found string 'x'");
    expect(parseFailure("a BETWEEN 1 OR 2")).toContain(
      "expected AND after BETWEEN's lower bound but found OR",
    );
  });

  test("type checks RocketMQ makes at parse time", () => {
    expect(parseFailure("a > 'x'")).toBe("SQL92 parse error at 4: > compares numbers only, not string 'x'");
    expect(parseFailure("TRUE < a")).toContain("< compares numbers only, not TRUE");
    expect(parseFailure("a <= NULL")).toContain("<= compares numbers only, not NULL");
    expect(parseFailure("(a > 1) > 0")).toContain("> compares numbers only, not a condition");
    expect(parseFailure("a BETWEEN 'a' AND 'z'")).toContain("BETWEEN compares numbers only, not string 'a'");
    expect(parseFailure("a BETWEEN 10 AND 0")).toBe(
      "SQL92 parse error at 10: BETWEEN lower bound 10 is greater than upper bound 0",
    );
    expect(parseFailure("a = NULL")).toBe(
      "SQL92 parse error at 4: NULL cannot be compared with '=' (use IS NULL or IS NOT NULL)",
    );
    expect(parseFailure("NULL <> a")).toContain("NULL cannot be compared with '<>'");
    expect(parseFailure("a > 100000000000000000000000")).toBe(
      "SQL92 parse error at 4: integer literal 100000000000000000000000 is out of range of a 64-bit long",
    );
    expect(parseFailure("a > 9223372036854775808")).toContain("out of range of a 64-bit long");
    expect(parseFailure("a = -'x'")).toContain("at 5: unary '-' needs a number or a property");
  });

  test("a plain value is not a condition", () => {
    expect(parseFailure("5")).toBe("SQL92 parse error at 0: expected a condition but found the value 5");
    expect(parseFailure("'x' AND a = 1")).toContain(
      "at 0: expected a condition but found the value string 'x'",
    );
    expect(parseFailure("NOT -a")).toContain("at 4: expected a condition but found the value a condition");
  });

  test("deep nesting is refused with a clear error instead of a stack overflow", () => {
    const nested = (n: number) => `${"(".repeat(n)}a = 1${")".repeat(n)}`;
    expect(show(parseSql(nested(64), 64))).toBe("(a = 1)");
    expect(parseFailure(nested(65), 64)).toBe(
      "SQL92 parse error at 64: expression is nested deeper than 64 levels",
    );
    expect(parseFailure(nested(100_000), 64)).toContain("nested deeper than 64 levels");
    expect(parseFailure(`${"NOT ".repeat(100_000)}a = 1`, 64)).toContain("nested deeper than 64 levels");
    expect(parseFailure(`${"(NOT ".repeat(40)}a${")".repeat(40)}`, 64)).toContain(
      "at 160: expression is nested",
    );
  });

  test("long flat expressions parse iteratively", () => {
    const terms = Array.from({ length: 20_000 }, (_, i) => `a = ${i}`);
    const node = parse(terms.join(" OR "));
    expect(node.type === "or" && node.operands.length).toBe(20_000);
    expect(show(parse(`a = ${"- ".repeat(10_001)}1`))).toBe("(a = -1)");
  });
});
