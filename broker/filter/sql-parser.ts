import { type SqlSymbol, type SqlToken, sqlParseError, tokenizeSql } from "./sql-tokenizer.ts";

/** A runtime value: properties are strings, integer literals are 64-bit longs (bigint), decimals doubles. */
export type SqlValue = string | bigint | number | boolean | null;

export type CompareOp = "=" | "<>" | "<" | "<=" | ">" | ">=";
export type StringMatchOp = "CONTAINS" | "STARTSWITH" | "ENDSWITH";

export type SqlNode =
  | { type: "literal"; value: SqlValue }
  | { type: "property"; name: string }
  | { type: "negate"; operand: SqlNode }
  | { type: "boolean-cast"; operand: SqlNode }
  | { type: "not"; operand: SqlNode }
  | { type: "and" | "or"; operands: SqlNode[] }
  | { type: "compare"; op: CompareOp; left: SqlNode; right: SqlNode }
  | { type: "between"; operand: SqlNode; low: SqlNode; high: SqlNode; negated: boolean }
  | { type: "in"; name: string; values: ReadonlySet<string>; negated: boolean }
  | { type: "is-null"; operand: SqlNode; negated: boolean }
  | { type: "string-match"; op: StringMatchOp; operand: SqlNode; search: string; negated: boolean };

const longMin = -(2n ** 63n);
const longMax = 2n ** 63n - 1n;
const compareOps: ReadonlySet<string> = new Set(["=", "<>", "<", "<=", ">", ">="]);
const stringMatchOps: ReadonlySet<string> = new Set(["CONTAINS", "STARTSWITH", "ENDSWITH"]);

/**
 * Parses a RocketMQ SQL92 filter into a tree whose root yields TRUE, FALSE or NULL (unknown).
 * Throws MqError(SUBSCRIPTION_PARSE_FAILED) naming the 0-based offset of the problem.
 * `maxNestingDepth` bounds parentheses and NOT together, so parser and evaluator recursion stays shallow.
 */
export function parseSql(source: string, maxNestingDepth: number): SqlNode {
  const tokens = tokenizeSql(source);
  let index = 0;
  let depth = 0;

  const peek = (): SqlToken => tokens[index];
  const next = (): SqlToken => tokens[index++];
  const isKeyword = (token: SqlToken, word: string): boolean =>
    token.kind === "keyword" && token.text === word;
  const isSymbol = (token: SqlToken, symbol: SqlSymbol): boolean =>
    token.kind === "symbol" && token.text === symbol;

  const enter = (token: SqlToken): void => {
    depth++;
    if (depth > maxNestingDepth) {
      throw sqlParseError(token.pos, `expression is nested deeper than ${maxNestingDepth} levels`);
    }
  };

  const expectKeyword = (word: string, after: string): void => {
    const token = next();
    if (!isKeyword(token, word))
      throw sqlParseError(token.pos, `expected ${word} after ${after} but found ${describe(token)}`);
  };

  const expectString = (after: string): string => {
    const token = next();
    if (token.kind !== "string") {
      throw sqlParseError(token.pos, `expected a string literal after ${after} but found ${describe(token)}`);
    }
    return token.value;
  };

  const parseOr = (after?: string): SqlNode => {
    const first = peek();
    const operands = [parseAnd(after)];
    while (isKeyword(peek(), "OR")) {
      next();
      operands.push(parseAnd("OR"));
    }
    return operands.length === 1
      ? operands[0]
      : { type: "or", operands: operands.map((o) => asCondition(o, first)) };
  };

  const parseAnd = (after?: string): SqlNode => {
    const first = peek();
    const operands = [parseNot(after)];
    while (isKeyword(peek(), "AND")) {
      next();
      operands.push(parseNot("AND"));
    }
    return operands.length === 1
      ? operands[0]
      : { type: "and", operands: operands.map((o) => asCondition(o, first)) };
  };

  // NOT binds looser than comparisons (standard SQL): NOT a = 1 is NOT (a = 1).
  const parseNot = (after?: string): SqlNode => {
    const token = peek();
    if (!isKeyword(token, "NOT")) return parsePredicate(after);
    next();
    enter(token);
    const operandToken = peek();
    const operand = asCondition(parseNot("NOT"), operandToken);
    depth--;
    return { type: "not", operand };
  };

  const parsePredicate = (after?: string): SqlNode => {
    const leftToken = peek();
    const left = parseValue(after);
    let token = peek();
    if (token.kind === "symbol" && compareOps.has(token.text)) {
      next();
      const op = token.text as CompareOp;
      const rightToken = peek();
      const right = parseValue(`'${op}'`);
      checkComparable(op, left, leftToken);
      checkComparable(op, right, rightToken);
      return { type: "compare", op, left, right };
    }
    if (isKeyword(token, "IS")) {
      next();
      const negated = isKeyword(peek(), "NOT");
      if (negated) next();
      expectKeyword("NULL", negated ? "IS NOT" : "IS");
      return { type: "is-null", operand: left, negated };
    }
    const negated = isKeyword(token, "NOT");
    if (negated) {
      next();
      token = peek();
    }
    const prefix = negated ? "NOT " : "";
    if (isKeyword(token, "BETWEEN")) {
      next();
      const lowToken = peek();
      const low = parseValue(`${prefix}BETWEEN`);
      expectKeyword("AND", `${prefix}BETWEEN's lower bound`);
      const highToken = peek();
      const high = parseValue(`${prefix}BETWEEN ... AND`);
      checkComparable("BETWEEN", left, leftToken);
      checkComparable("BETWEEN", low, lowToken);
      checkComparable("BETWEEN", high, highToken);
      // RocketMQ refuses an empty constant range at parse time.
      if (
        low.type === "literal" &&
        high.type === "literal" &&
        (low.value as bigint | number) > (high.value as bigint | number)
      ) {
        throw sqlParseError(
          lowToken.pos,
          `BETWEEN lower bound ${low.value} is greater than upper bound ${high.value}`,
        );
      }
      return { type: "between", operand: left, low, high, negated };
    }
    if (isKeyword(token, "IN")) {
      next();
      if (left.type !== "property") {
        throw sqlParseError(leftToken.pos, `${prefix}IN needs a property name on its left`);
      }
      return { type: "in", name: left.name, values: parseInList(`${prefix}IN`), negated };
    }
    if (token.kind === "keyword" && stringMatchOps.has(token.text)) {
      next();
      const op = token.text as StringMatchOp;
      return { type: "string-match", op, operand: left, search: expectString(`${prefix}${op}`), negated };
    }
    if (negated) {
      throw sqlParseError(
        token.pos,
        `expected BETWEEN, IN, CONTAINS, STARTSWITH or ENDSWITH after NOT but found ${describe(token)}`,
      );
    }
    return left;
  };

  const parseInList = (what: string): ReadonlySet<string> => {
    const open = next();
    if (!isSymbol(open, "("))
      throw sqlParseError(open.pos, `expected '(' after ${what} but found ${describe(open)}`);
    if (isSymbol(peek(), ")")) throw sqlParseError(peek().pos, `${what} list is empty`);
    const values = new Set<string>();
    while (true) {
      const token = next();
      if (token.kind !== "string") {
        throw sqlParseError(
          token.pos,
          `${what} list accepts only string literals but found ${describe(token)}`,
        );
      }
      values.add(token.value);
      const separator = next();
      if (isSymbol(separator, ")")) return values;
      if (!isSymbol(separator, ",")) {
        throw sqlParseError(
          separator.pos,
          `expected ',' or ')' in ${what} list but found ${describe(separator)}`,
        );
      }
    }
  };

  // Signs are folded into numeric literals (so -9223372036854775808 is a valid long) and read iteratively.
  const parseValue = (after?: string): SqlNode => {
    let minusCount = 0;
    let sign: SqlToken | undefined;
    while (isSymbol(peek(), "+") || isSymbol(peek(), "-")) {
      sign = next();
      if (sign.text === "-") minusCount++;
    }
    const minus = minusCount % 2 === 1;
    const operandToken = peek();
    const operand = parsePrimary(sign === undefined ? after : `'${sign.text}'`);
    if (
      operand.type === "literal" &&
      (typeof operand.value === "bigint" || typeof operand.value === "number")
    ) {
      return numberLiteral(minus ? -operand.value : operand.value, operandToken);
    }
    if (sign === undefined) return operand;
    if (operand.type === "literal" || isCondition(operand)) {
      throw sqlParseError(operandToken.pos, `unary '${sign.text}' needs a number or a property`);
    }
    // Negation of a property yields NULL unless it holds a number, so "- -a" is not simply "a".
    if (minusCount === 0) return operand;
    return minus ? { type: "negate", operand } : { type: "negate", operand: { type: "negate", operand } };
  };

  const parsePrimary = (after: string | undefined): SqlNode => {
    const token = next();
    switch (token.kind) {
      case "string":
        return { type: "literal", value: token.value };
      case "integer":
      case "decimal":
        return { type: "literal", value: token.value };
      case "identifier":
        return { type: "property", name: token.text };
      case "keyword":
        if (token.text === "TRUE") return { type: "literal", value: true };
        if (token.text === "FALSE") return { type: "literal", value: false };
        if (token.text === "NULL") return { type: "literal", value: null };
        break;
      case "symbol":
        if (token.text === "(") {
          enter(token);
          const inner = parseOr("'('");
          depth--;
          const close = next();
          if (!isSymbol(close, ")"))
            throw sqlParseError(close.pos, `expected ')' but found ${describe(close)}`);
          return inner;
        }
        break;
    }
    const where = after === undefined ? "" : ` after ${after}`;
    throw sqlParseError(token.pos, `expected a value${where} but found ${describe(token)}`);
  };

  const root = parseOr();
  const end = peek();
  if (end.kind !== "eof") {
    throw sqlParseError(end.pos, `expected AND, OR or end of expression but found ${describe(end)}`);
  }
  return asCondition(root, tokens[0]);
}

function numberLiteral(value: bigint | number, token: SqlToken): SqlNode {
  if (typeof value === "bigint" && (value < longMin || value > longMax)) {
    throw sqlParseError(token.pos, `integer literal ${value} is out of range of a 64-bit long`);
  }
  return { type: "literal", value };
}

function isCondition(node: SqlNode): boolean {
  return node.type !== "literal" && node.type !== "property" && node.type !== "negate";
}

/**
 * Where a TRUE/FALSE/NULL result is required (AND, OR, NOT, the whole expression): a property is read as a
 * boolean ("true"/"false"), a boolean or NULL literal stands as is, any other value is refused.
 */
function asCondition(node: SqlNode, token: SqlToken): SqlNode {
  if (node.type === "property") return { type: "boolean-cast", operand: node };
  if (node.type === "literal" && (typeof node.value === "boolean" || node.value === null)) return node;
  if (isCondition(node)) return node;
  throw sqlParseError(token.pos, `expected a condition but found the value ${describeNode(node)}`);
}

/** Mirrors RocketMQ's parse-time checks: NULL is never compared with =, ordering needs numeric operands. */
function checkComparable(op: CompareOp | "BETWEEN", node: SqlNode, token: SqlToken): void {
  if (op === "=" || op === "<>") {
    if (node.type === "literal" && node.value === null) {
      throw sqlParseError(token.pos, `NULL cannot be compared with '${op}' (use IS NULL or IS NOT NULL)`);
    }
    return;
  }
  const numericLiteral =
    node.type === "literal" && (typeof node.value === "bigint" || typeof node.value === "number");
  if ((node.type === "literal" && !numericLiteral) || isCondition(node)) {
    throw sqlParseError(token.pos, `${op} compares numbers only, not ${describeNode(node)}`);
  }
}

function describeNode(node: SqlNode): string {
  if (node.type !== "literal") return node.type === "property" ? `property ${node.name}` : "a condition";
  if (node.value === null) return "NULL";
  if (typeof node.value === "string") return `string '${node.value.replaceAll("'", "''")}'`;
  if (typeof node.value === "boolean") return node.value ? "TRUE" : "FALSE";
  return String(node.value);
}

function describe(token: SqlToken): string {
  switch (token.kind) {
    case "eof":
      return "end of expression";
    case "string":
      return `string ${token.text}`;
    case "keyword":
      return token.text;
    case "identifier":
      return `property ${token.text}`;
    default:
      return `'${token.text}'`;
  }
}
