import { describe, expect, test } from "bun:test";
import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { type SqlToken, tokenizeSql } from "./sql-tokenizer.ts";

const kinds = (source: string): string[] => tokenizeSql(source).map((t) => `${t.kind}:${t.text}`);

function parseFailure(source: string): MqError {
  try {
    tokenizeSql(source);
  } catch (err) {
    expect(err).toBeInstanceOf(MqError);
    expect((err as MqError).code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    return err as MqError;
  }
  throw new Error(`expected ${JSON.stringify(source)} to be refused`);
}

describe("tokenizeSql", () => {
  test("reads identifiers, symbols and ends with eof at the input length", () => {
    expect(kinds("a_1$>=b")).toEqual(["identifier:a_1$", "symbol:>=", "identifier:b", "eof:"]);
    expect(kinds("x<>y<=z<w>v=u")).toEqual([
      "identifier:x",
      "symbol:<>",
      "identifier:y",
      "symbol:<=",
      "identifier:z",
      "symbol:<",
      "identifier:w",
      "symbol:>",
      "identifier:v",
      "symbol:=",
      "identifier:u",
      "eof:",
    ]);
    const tokens = tokenizeSql("  a  ");
    expect(tokens[0].pos).toBe(2);
    expect(tokens[1]).toEqual({ kind: "eof", text: "", pos: 5 });
  });

  test("matches keywords case-insensitively but keeps identifier case", () => {
    expect(kinds("not And oR between In true FALSE Null is Contains startsWith ENDSWITH")).toEqual([
      "keyword:NOT",
      "keyword:AND",
      "keyword:OR",
      "keyword:BETWEEN",
      "keyword:IN",
      "keyword:TRUE",
      "keyword:FALSE",
      "keyword:NULL",
      "keyword:IS",
      "keyword:CONTAINS",
      "keyword:STARTSWITH",
      "keyword:ENDSWITH",
      "eof:",
    ]);
    // A longer word that starts with a keyword is an identifier, as with JavaCC's longest match.
    expect(kinds("Note island ORDER")).toEqual([
      "identifier:Note",
      "identifier:island",
      "identifier:ORDER",
      "eof:",
    ]);
  });

  test("decodes string literals with doubled quotes", () => {
    const [token] = tokenizeSql("'it''s ''quoted'''");
    expect(token).toMatchObject({ kind: "string", value: "it's 'quoted'" });
    expect(tokenizeSql("''")[0]).toMatchObject({ kind: "string", value: "" });
    expect(tokenizeSql("'a -- b /* c */'")[0]).toMatchObject({ kind: "string", value: "a -- b /* c */" });
    expect(tokenizeSql("'中文 ✓'")[0]).toMatchObject({ kind: "string", value: "中文 ✓" });
  });

  test("reads integers as 64-bit values and decimals as doubles", () => {
    const values = (source: string) =>
      tokenizeSql(source)
        .filter((t): t is Extract<SqlToken, { value: unknown }> => "value" in t)
        .map((t) => t.value);
    expect(values("0 42 7L 9l 9223372036854775807")).toEqual([0n, 42n, 7n, 9n, 9223372036854775807n]);
    expect(values("5.5 5. .5 5E2 5.5e-1 .5E+1")).toEqual([5.5, 5, 0.5, 500, 0.55, 5]);
  });

  test("skips line and block comments", () => {
    expect(kinds("a -- the rest\n= /* inline */ 1 -- trailing")).toEqual([
      "identifier:a",
      "symbol:=",
      "integer:1",
      "eof:",
    ]);
  });

  test("refuses an unterminated string and points at its opening quote", () => {
    expect(parseFailure("a = 'abc").message).toBe(
      "SQL92 parse error at 4: unterminated string literal (missing closing quote)",
    );
    expect(parseFailure("a = 'it''").message).toContain("at 4: unterminated string");
  });

  test("refuses an unterminated block comment", () => {
    expect(parseFailure("a = 1 /* open").message).toBe(
      "SQL92 parse error at 6: unterminated comment (missing '*/')",
    );
  });

  test("refuses unknown characters and says what to write for foreign operators", () => {
    expect(parseFailure("a # 1").message).toBe('SQL92 parse error at 2: unexpected character "#"');
    expect(parseFailure("a = é").message).toBe('SQL92 parse error at 4: unexpected character "é"');
    expect(parseFailure("a != 1").message).toContain("at 2: unknown operator '!=' (use '<>')");
    expect(parseFailure("a == 1").message).toContain("unknown operator '==' (use '=')");
    expect(parseFailure("a = 1 && b = 2").message).toContain("unknown operator '&&' (use AND)");
    expect(parseFailure("a = 1 || b = 2").message).toContain("unknown operator '||' (use OR)");
    expect(parseFailure('a = "x"').message).toContain("at 4: strings are quoted with single quotes");
  });

  test("refuses malformed numbers", () => {
    expect(parseFailure("a = 5abc").message).toBe('SQL92 parse error at 4: malformed number "5a"');
    expect(parseFailure("a = 1.2.3").message).toContain('malformed number "1.2."');
    expect(parseFailure("a = 5e").message).toContain('malformed number "5e"');
    expect(parseFailure("a > 1e999").message).toContain("decimal literal 1e999 is out of range of a double");
  });
});
