import { Code, type FilterExpression, FilterType, type Status } from "../../proto/v2.ts";
import type { FilterSpec } from "../backend/backend.ts";
import { status } from "../status.ts";
import { hasControlCharacter } from "./validate.ts";

const MAX_EXPRESSION_LENGTH = 4096;

/** A v2 FilterExpression as the broker's filter spec; TAG with an empty expression means every tag (`*`). */
export function filterSpecOf(f: FilterExpression | undefined): FilterSpec | Status {
  const expression = (f?.expression ?? "").trim();
  if (expression.length > MAX_EXPRESSION_LENGTH || hasControlCharacter(expression))
    return status(Code.ILLEGAL_FILTER_EXPRESSION, "filter expression is too long or has control characters");
  switch (f?.type ?? FilterType.FILTER_TYPE_UNSPECIFIED) {
    case FilterType.SQL:
      if (expression === "") return status(Code.ILLEGAL_FILTER_EXPRESSION, "SQL filter expression is empty");
      return { expressionType: "SQL92", expression };
    case FilterType.TAG:
    case FilterType.FILTER_TYPE_UNSPECIFIED:
      return { expressionType: "TAG", expression: expression === "" ? "*" : expression };
    default:
      return status(Code.ILLEGAL_FILTER_EXPRESSION, `unknown filter type ${f?.type}`);
  }
}

export function isFilterSpec(x: FilterSpec | Status): x is FilterSpec {
  return "expressionType" in x;
}
