import { MqError } from "../../proto/error.ts";
import { ResponseCode } from "../../proto/response-code.ts";

/** A parsed TAG subscription: either every message, or the listed tags and their ConsumeQueue tag codes. */
export interface TagExpression {
  readonly matchesAll: boolean;
  readonly tags: ReadonlySet<string>;
  /** javaStringHashCode of each tag: what ConsumeQueue units store as tagsCode. */
  readonly tagsCodes: ReadonlySet<number>;
}

/**
 * Java's String.hashCode over UTF-16 code units as a signed 32-bit int; RocketMQ stores it as the tagsCode of a
 * ConsumeQueue unit.
 */
export function javaStringHashCode(s: string): number {
  let hash = 0;
  for (let i = 0; i < s.length; i++) hash = (Math.imul(31, hash) + s.charCodeAt(i)) | 0;
  return hash;
}

/**
 * Parses "*", "" (or null) as every message and "TagA || TagB" as a tag set, like RocketMQ's FilterAPI: split on
 * "||", trim each part, drop empty parts. Tags are otherwise taken literally (a lone "|" belongs to the tag).
 * Throws MqError(SUBSCRIPTION_PARSE_FAILED) when "||" separators leave no tag at all (RocketMQ would silently
 * match nothing).
 */
export function parseTagExpression(expression: string | null | undefined): TagExpression {
  const trimmed = (expression ?? "").trim();
  if (trimmed === "" || trimmed === "*") {
    return Object.freeze({ matchesAll: true, tags: new Set<string>(), tagsCodes: new Set<number>() });
  }
  const tags = new Set<string>();
  for (const part of trimmed.split("||")) {
    const tag = part.trim();
    if (tag !== "") tags.add(tag);
  }
  if (tags.size === 0) {
    throw new MqError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `tag expression '${trimmed}' names no tag`);
  }
  return Object.freeze({ matchesAll: false, tags, tagsCodes: new Set([...tags].map(javaStringHashCode)) });
}

/**
 * Pre-filter on a ConsumeQueue unit's tagsCode. Only the low 32 bits count (Java's Long.intValue), as RocketMQ
 * compares the stored long with int hash codes. Hash collisions pass; matchesTag makes the exact decision.
 */
export function matchesTagsCode(expression: TagExpression, tagsCode: number): boolean {
  return expression.matchesAll || expression.tagsCodes.has(tagsCode | 0);
}

/** Exact check on the message's TAGS property; a message without a tag matches only "*". */
export function matchesTag(expression: TagExpression, tag: string | undefined): boolean {
  return expression.matchesAll || (tag !== undefined && expression.tags.has(tag));
}
