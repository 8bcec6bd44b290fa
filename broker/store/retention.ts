import * as fs from "node:fs";

/** Whether the local hour of `now` is one of `deleteWhen`'s hours ("04", "04;05"). */
export function isTimeToDelete(deleteWhen: string, now: number): boolean {
  const hour = new Date(now).getHours();
  return deleteWhen
    .split(";")
    .map((h) => h.trim())
    .some((h) => h !== "" && Number(h) === hour);
}

/** Used space of the filesystem holding `dir`, in percent. */
export function diskUsedRatio(dir: string): number {
  const s = fs.statfsSync(dir);
  if (s.blocks === 0) return 0;
  return ((s.blocks - s.bfree) / s.blocks) * 100;
}
