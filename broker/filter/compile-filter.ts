import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";
import { matchesSql } from "./sql-evaluator.ts";
import { parseSql } from "./sql-parser.ts";
import { matchesTag, matchesTagsCode, parseTagExpression } from "./tag-expression.ts";

export type ExpressionType = "TAG" | "SQL92";

/** A subscription as it arrives from a client; expressionType null/undefined/"" means TAG, as in RocketMQ. */
export interface FilterExpression {
  expressionType?: string | null;
  expression?: string | null;
}

/** A compiled subscription filter; pure, so one instance may be shared by every pop/pull of the subscription. */
export interface MessageFilter {
  readonly expressionType: ExpressionType;
  /** The expression as given ("*" for a TAG filter that takes every message). */
  readonly expression: string;
  /** Cheap pre-filter on a ConsumeQueue unit's tagsCode: TAG compares hash codes, SQL92 always passes. */
  matchesTagsCode(tagsCode: number): boolean;
  /** The exact decision on the message's properties (TAG reads the TAGS property). */
  matches(properties: Readonly<Record<string, string>>): boolean;
}

export interface FilterOptions {
  /** Longer expressions are refused before parsing. */
  maxExpressionLength: number;
  /** Deepest nesting of parentheses and NOT in SQL92, which bounds parser and evaluator recursion. */
  maxNestingDepth: number;
}

export const defaultFilterOptions: Readonly<FilterOptions> = Object.freeze({
  maxExpressionLength: 16384,
  maxNestingDepth: 64,
});

/**
 * Compiles a TAG or SQL92 subscription expression into a MessageFilter.
 * Throws MqError(SUBSCRIPTION_PARSE_FAILED) for a bad expression, MqError(INVALID_PARAMETER) for an unknown type.
 * @example
 * const filter = compileFilter({ expressionType: "SQL92", expression: "a > 5 AND TAGS IN ('x', 'y')" });
 * filter.matches({ a: "6", TAGS: "x" }); // true
 */
export function compileFilter(
  subscription: FilterExpression,
  options: Readonly<FilterOptions> = defaultFilterOptions,
): MessageFilter {
  const type = subscription.expressionType ?? "";
  const expression = subscription.expression ?? "";
  if (type !== "" && type !== "TAG" && type !== "SQL92") {
    throw new MqError(
      ResponseCode.INVALID_PARAMETER,
      `unknown filter expressionType ${JSON.stringify(type)} (expected TAG or SQL92)`,
    );
  }
  if (expression.length > options.maxExpressionLength) {
    throw new MqError(
      ResponseCode.SUBSCRIPTION_PARSE_FAILED,
      `${type || "TAG"} expression is ${expression.length} characters long, more than the limit of ${options.maxExpressionLength}`,
    );
  }
  if (type === "SQL92") {
    if (expression.trim() === "") {
      throw new MqError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, "SQL92 expression is empty");
    }
    const root = parseSql(expression, options.maxNestingDepth);
    return Object.freeze({
      expressionType: "SQL92",
      expression,
      matchesTagsCode: () => true,
      matches: (properties: Readonly<Record<string, string>>) => matchesSql(root, properties),
    });
  }
  const tags = parseTagExpression(expression);
  return Object.freeze({
    expressionType: "TAG",
    expression: tags.matchesAll ? "*" : expression,
    matchesTagsCode: (tagsCode: number) => matchesTagsCode(tags, tagsCode),
    matches: (properties: Readonly<Record<string, string>>) =>
      matchesTag(tags, Object.hasOwn(properties, "TAGS") ? properties.TAGS : undefined),
  });
}
