/** Subscription filters evaluated on the broker: TAG expressions (with the tagsCode pre-filter) and SQL92. */
export {
  compileFilter,
  defaultFilterOptions,
  type ExpressionType,
  type FilterExpression,
  type FilterOptions,
  type MessageFilter,
} from "./compile-filter.ts";
export { javaStringHashCode, parseTagExpression, type TagExpression } from "./tag-expression.ts";
