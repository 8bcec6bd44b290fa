/**
 * Java's String.hashCode over UTF-16 code units, as a signed 32-bit int.
 * @example javaStringHashCode("TagA") // 2598919
 */
export function javaStringHashCode(s: string): number {
  let hash = 0;
  for (let i = 0; i < s.length; i++) hash = (Math.imul(31, hash) + s.charCodeAt(i)) | 0;
  return hash;
}

/** A ConsumeQueue unit's tagsCode for a TAGS value: its Java hashCode, or 0 without a tag. */
export function tagsStringToTagsCode(tags: string | undefined | null): number {
  return tags ? javaStringHashCode(tags) : 0;
}
