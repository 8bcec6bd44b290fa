import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";

/** Reserved words of RocketMQ's SelectorParser.jj, matched case-insensitively. */
export const sqlKeywords = Object.freeze([
  "NOT",
  "AND",
  "OR",
  "BETWEEN",
  "IN",
  "TRUE",
  "FALSE",
  "NULL",
  "IS",
  "CONTAINS",
  "STARTSWITH",
  "ENDSWITH",
] as const);

export type SqlKeyword = (typeof sqlKeywords)[number];
export type SqlSymbol = "=" | "<>" | "<" | "<=" | ">" | ">=" | "(" | ")" | "," | "+" | "-";

export type SqlToken =
  | { kind: "identifier"; text: string; pos: number }
  | { kind: "keyword"; text: SqlKeyword; pos: number }
  | { kind: "symbol"; text: SqlSymbol; pos: number }
  | { kind: "string"; text: string; value: string; pos: number }
  | { kind: "integer"; text: string; value: bigint; pos: number }
  | { kind: "decimal"; text: string; value: number; pos: number }
  | { kind: "eof"; text: ""; pos: number };

/** Every SQL92 syntax error goes through here so that messages share one shape: "at <0-based offset>: <problem>". */
export function sqlParseError(pos: number, problem: string): MqError {
  return new MqError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `SQL92 parse error at ${pos}: ${problem}`);
}

const keywordSet: ReadonlySet<string> = new Set(sqlKeywords);
const whitespace = " \t\n\r\f";
// Decimal forms first so that "5.5" is not read as the integer 5; same three shapes as FLOATING_POINT_LITERAL.
const decimalPattern = /(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+/y;
const integerPattern = /\d+[lL]?/y;
const identifierPattern = /[A-Za-z_$][A-Za-z0-9_$]*/y;
const twoCharSymbols: ReadonlySet<string> = new Set(["<>", "<=", ">="]);
const oneCharSymbols: ReadonlySet<string> = new Set(["=", "<", ">", "(", ")", ",", "+", "-"]);
// Operators people bring from other languages; RocketMQ rejects them too, we just say what to write instead.
const foreignOperators: Readonly<Record<string, string>> = {
  "!=": "use '<>'",
  "==": "use '='",
  "&&": "use AND",
  "||": "use OR",
};

/** Splits a SQL92 filter expression into tokens; the last token is always "eof". Comments (-- and /* *\/) are skipped. */
export function tokenizeSql(source: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let pos = 0;
  while (true) {
    pos = skipBlanks(source, pos);
    if (pos >= source.length) break;
    const start = pos;
    const ch = source[pos];
    if (ch === "'") {
      const { value, end } = readString(source, pos);
      tokens.push({ kind: "string", text: source.slice(start, end), value, pos: start });
      pos = end;
      continue;
    }
    if (isDigit(ch) || (ch === "." && isDigit(source[pos + 1]))) {
      const token = readNumber(source, pos);
      tokens.push(token);
      pos += token.text.length;
      continue;
    }
    identifierPattern.lastIndex = pos;
    const word = identifierPattern.exec(source)?.[0];
    if (word !== undefined) {
      const upper = word.toUpperCase();
      if (keywordSet.has(upper)) tokens.push({ kind: "keyword", text: upper as SqlKeyword, pos: start });
      else tokens.push({ kind: "identifier", text: word, pos: start });
      pos += word.length;
      continue;
    }
    const pair = source.slice(pos, pos + 2);
    if (pair in foreignOperators) {
      throw sqlParseError(start, `unknown operator '${pair}' (${foreignOperators[pair]})`);
    }
    if (twoCharSymbols.has(pair)) {
      tokens.push({ kind: "symbol", text: pair as SqlSymbol, pos: start });
      pos += 2;
      continue;
    }
    if (oneCharSymbols.has(ch)) {
      tokens.push({ kind: "symbol", text: ch as SqlSymbol, pos: start });
      pos += 1;
      continue;
    }
    if (ch === '"')
      throw sqlParseError(start, "strings are quoted with single quotes ('text'), not double quotes");
    throw sqlParseError(
      start,
      `unexpected character ${JSON.stringify(String.fromCodePoint(source.codePointAt(pos)!))}`,
    );
  }
  tokens.push({ kind: "eof", text: "", pos: source.length });
  return tokens;
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

function skipBlanks(source: string, from: number): number {
  let pos = from;
  while (pos < source.length) {
    if (whitespace.includes(source[pos])) {
      pos++;
    } else if (source.startsWith("--", pos)) {
      while (pos < source.length && source[pos] !== "\n" && source[pos] !== "\r") pos++;
    } else if (source.startsWith("/*", pos)) {
      const end = source.indexOf("*/", pos + 2);
      if (end < 0) throw sqlParseError(pos, "unterminated comment (missing '*/')");
      pos = end + 2;
    } else {
      break;
    }
  }
  return pos;
}

/** A string literal is quoted with ' and a doubled '' stands for one quote, as in SelectorParser.jj. */
function readString(source: string, start: number): { value: string; end: number } {
  let value = "";
  let pos = start + 1;
  while (true) {
    const quote = source.indexOf("'", pos);
    if (quote < 0) throw sqlParseError(start, "unterminated string literal (missing closing quote)");
    value += source.slice(pos, quote);
    if (source[quote + 1] === "'") {
      value += "'";
      pos = quote + 2;
    } else {
      return { value, end: quote + 1 };
    }
  }
}

function readNumber(source: string, start: number): SqlToken {
  let token: SqlToken;
  decimalPattern.lastIndex = start;
  const decimal = decimalPattern.exec(source)?.[0];
  if (decimal !== undefined) {
    const value = Number(decimal);
    if (!Number.isFinite(value))
      throw sqlParseError(start, `decimal literal ${decimal} is out of range of a double`);
    token = { kind: "decimal", text: decimal, value, pos: start };
  } else {
    integerPattern.lastIndex = start;
    const integer = integerPattern.exec(source)![0];
    const digits = integer.endsWith("l") || integer.endsWith("L") ? integer.slice(0, -1) : integer;
    token = { kind: "integer", text: integer, value: BigInt(digits), pos: start };
  }
  const next = source[start + token.text.length];
  if (next !== undefined && /[A-Za-z0-9_$.']/.test(next)) {
    throw sqlParseError(
      start,
      `malformed number ${JSON.stringify(source.slice(start, start + token.text.length + 1))}`,
    );
  }
  return token;
}
