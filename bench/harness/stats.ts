/** Order statistics for benchmark figures. */

export interface Spread {
  min: number;
  median: number;
  max: number;
}

/**
 * The q-quantile (0..1) by the nearest-rank method: the smallest value with at least q of the
 * samples at or below it, so p999 of 20 000 samples is the 19 980th smallest, a real sample.
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("percentile of no samples");
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile out of range: ${q}`);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

export function sortedCopy(values: readonly number[]): number[] {
  // A typed array sorts numerically (Array#sort would compare strings).
  return Array.from(Float64Array.from(values).sort());
}

/** min / median / max over repetitions; the median of an even count is the mean of the middle two. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error("spread of no values");
  const s = sortedCopy(values);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1] };
}
