/** Splits n into k near-equal integer shares that add up to n (one per generator process). */
export function shares(n: number, k: number): number[] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`shares: need at least one share, got ${k}`);
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}
