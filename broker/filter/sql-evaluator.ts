import type { CompareOp, SqlNode, SqlValue } from "./sql-parser.ts";

type Truth = boolean | null;
type Numeric = bigint | number;

const integerText = /^[+-]?\d+$/;
const decimalText = /^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$/;

/** True only when the expression yields TRUE for these properties; FALSE and NULL (unknown) do not match. */
export function matchesSql(node: SqlNode, properties: Readonly<Record<string, string>>): boolean {
  return evaluateSql(node, properties) === true;
}

/**
 * Evaluates a parsed expression with three-valued logic. Never throws: a value that cannot be converted for a
 * comparison makes that comparison unknown (NULL) instead of failing the whole expression.
 */
export function evaluateSql(node: SqlNode, properties: Readonly<Record<string, string>>): SqlValue {
  const evaluate = (n: SqlNode): SqlValue => evaluateSql(n, properties);
  switch (node.type) {
    case "literal":
      return node.value;
    case "property":
      // hasOwn: a property named "constructor" must not read Object.prototype.
      return Object.hasOwn(properties, node.name) ? properties[node.name] : null;
    case "negate": {
      const value = toNumeric(evaluate(node.operand));
      return value === null ? null : -value;
    }
    case "boolean-cast":
      return toBoolean(evaluate(node.operand));
    case "not": {
      const truth = toTruth(evaluate(node.operand));
      return truth === null ? null : !truth;
    }
    case "and":
    case "or": {
      // AND: any FALSE wins, else any unknown makes it unknown. OR is the mirror image.
      const decisive = node.type === "or";
      let result: Truth = !decisive;
      for (const operand of node.operands) {
        const truth = toTruth(evaluate(operand));
        if (truth === decisive) return decisive;
        if (truth === null) result = null;
      }
      return result;
    }
    case "compare":
      return compare(node.op, evaluate(node.left), evaluate(node.right));
    case "between": {
      const value = evaluate(node.operand);
      const low = evaluate(node.low);
      const high = evaluate(node.high);
      if (node.negated) return or(compare("<", value, low), compare(">", value, high));
      return and(compare(">=", value, low), compare("<=", value, high));
    }
    case "in": {
      const value = Object.hasOwn(properties, node.name) ? properties[node.name] : null;
      return value === null ? null : node.values.has(value) !== node.negated;
    }
    case "is-null":
      return (evaluate(node.operand) === null) !== node.negated;
    case "string-match": {
      // RocketMQ: an empty search text, a missing or non-string value give FALSE for both forms (never NULL).
      const value = evaluate(node.operand);
      if (node.search === "" || typeof value !== "string") return false;
      const found =
        node.op === "CONTAINS"
          ? value.includes(node.search)
          : node.op === "STARTSWITH"
            ? value.startsWith(node.search)
            : value.endsWith(node.search);
      return found !== node.negated;
    }
  }
}

function compare(op: CompareOp, left: SqlValue, right: SqlValue): Truth {
  if (left === null || right === null) return null;
  if (op === "=" || op === "<>") {
    const equal = equals(left, right);
    return equal === null ? null : equal === (op === "=");
  }
  const l = toNumeric(left);
  const r = toNumeric(right);
  if (l === null || r === null) return null;
  switch (op) {
    case "<":
      return l < r;
    case "<=":
      return l <= r;
    case ">":
      return l > r;
    default:
      return l >= r;
  }
}

/** A string meets a number or a boolean by conversion; a string that does not convert makes the result unknown. */
function equals(left: Exclude<SqlValue, null>, right: Exclude<SqlValue, null>): Truth {
  if (typeof left === "string" && typeof right === "string") return left === right;
  if (typeof left === "boolean" || typeof right === "boolean") {
    const l = toBoolean(left);
    const r = toBoolean(right);
    if (l === null || r === null) return typeof left === "string" || typeof right === "string" ? null : false;
    return l === r;
  }
  const l = toNumeric(left);
  const r = toNumeric(right);
  if (l === null || r === null) return null;
  return !(l < r) && !(l > r);
}

function and(a: Truth, b: Truth): Truth {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

function or(a: Truth, b: Truth): Truth {
  if (a === true || b === true) return true;
  return a === null || b === null ? null : false;
}

function toTruth(value: SqlValue): Truth {
  return typeof value === "boolean" ? value : null;
}

function toBoolean(value: SqlValue): Truth {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return null;
  const lower = value.toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : null;
}

/** Integers become exact longs (bigint), other decimal text a double; anything else is not a number. */
function toNumeric(value: SqlValue): Numeric | null {
  if (typeof value === "bigint" || typeof value === "number") return value;
  if (typeof value !== "string") return null;
  if (integerText.test(value)) return BigInt(value);
  if (decimalText.test(value)) return Number(value);
  return null;
}
