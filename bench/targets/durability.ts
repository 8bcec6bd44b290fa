/** What an ack from a bunmq broker means under each flushDiskType, and the version the targets report. */
import { readFileSync } from "node:fs";

export const DURABILITY = Object.freeze({
  ASYNC_FLUSH:
    "flushDiskType=ASYNC_FLUSH: the send is answered once its record is written to the CommitLog (encoded " +
    "into the segment's shared mapping, i.e. the page cache); an fdatasync runs every 500 ms (flushIntervalCommitLog), so an ack survives a process " +
    "crash but a machine crash may lose the last half second.",
  SYNC_FLUSH:
    "flushDiskType=SYNC_FLUSH: the send is answered after an fdatasync of the CommitLog covers its record " +
    "(group commit: one fdatasync covers every record written before it started), so an ack survives a " +
    "process crash and a machine crash.",
});

export function bunmqVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}
