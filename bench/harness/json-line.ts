/**
 * The one JSON line every bench command ends with, for scripts: numbers rounded to 3 decimals,
 * non-finite numbers as null.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== "number") return v;
    return Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null;
  });
}
