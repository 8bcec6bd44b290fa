import * as fs from "node:fs";

/**
 * bench:store-ceiling's pwrite sink (the store's transientStorePoolEnable path, reduced): records are encoded into
 * `target` at file offset - `base`; submit() hands the filled part to a pwrite on the thread pool and switches to a
 * spare buffer, waiting only when every buffer is still being written.
 */
export class AppendBuffers {
  target: Uint8Array<ArrayBuffer>;
  view: DataView;
  /** File offset of target[0]. */
  base = 0;
  private readonly spare: Uint8Array<ArrayBuffer>[];
  private readonly fd: number;
  private writes = 0;
  private freed: (() => void) | null = null;
  private error: Error | null = null;

  constructor(fd: number, count: number, bytes: number) {
    this.fd = fd;
    this.spare = Array.from({ length: count }, () => new Uint8Array(bytes));
    this.target = this.spare.pop()!;
    this.view = new DataView(this.target.buffer);
  }

  /** Writes target's bytes up to file offset `end` and continues in a spare buffer from there. */
  async submit(end: number): Promise<void> {
    const filled = this.target;
    this.writes++;
    fs.write(this.fd, filled, 0, end - this.base, this.base, (err) => {
      if (err) this.error = err;
      this.writes--;
      this.spare.push(filled);
      this.freed?.();
    });
    while (this.spare.length === 0) await this.nextWriteDone();
    this.target = this.spare.pop()!;
    this.view = new DataView(this.target.buffer);
    this.base = end;
  }

  /** Waits until every write is done; throws the first write error. */
  async drain(): Promise<void> {
    while (this.writes > 0) await this.nextWriteDone();
    if (this.error) throw this.error;
  }

  private nextWriteDone(): Promise<void> {
    return new Promise((resolve) => {
      this.freed = resolve;
    });
  }
}
