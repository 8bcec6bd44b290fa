import { join } from "node:path";
import { MessageConst, type MessageExt } from "../../proto/message/index.ts";
import { createDirtyJsonFile, type DirtyJsonFile, readJsonFile } from "../json-file.ts";
import { reputInput } from "../retry.ts";
import type { MessageStore } from "../store/index.ts";
import { RMQ_SYS_SCHEDULE_TOPIC } from "../topic-validator.ts";

export interface ScheduleOptions {
  store: MessageStore;
  configDir: string;
  /** Delay of each level in ms (level N = index N-1). */
  delayLevels: number[];
  clock: () => number;
  /** Period of the delivery scan; 0 = no timer (tests call `tick()`). */
  tickIntervalMs: number;
  onError?: (err: unknown) => void;
}

/**
 * Classic delayed delivery (ScheduleMessageService): messages with DELAY=level wait in SCHEDULE_TOPIC_XXXX queue
 * level-1; each level's queue is in store-time order, so each level is a cursor that re-puts messages to their
 * REAL_TOPIC/REAL_QID once storeTimestamp + delay has passed. Cursors live in config/delayOffset.json
 * (`{"offsetTable": {"<level>": offset}}`); a crash may deliver the messages after the last saved cursor twice.
 */
export class ScheduleService {
  private readonly file: DirtyJsonFile;
  private readonly cursor = new Map<number, number>();
  private readonly nextDue = new Map<number, number>();
  private timer?: ReturnType<typeof setInterval>;
  private running?: Promise<number>;
  private closed = false;

  constructor(private readonly options: ScheduleOptions) {
    const path = join(options.configDir, "delayOffset.json");
    this.file = createDirtyJsonFile(path, () => ({ offsetTable: this.offsets() }));
    const loaded = readJsonFile(path) as { offsetTable?: Record<string, number> } | undefined;
    for (const [level, offset] of Object.entries(loaded?.offsetTable ?? {}))
      this.cursor.set(Number(level), Number(offset));
  }

  start(): void {
    if (this.options.tickIntervalMs > 0)
      this.timer = setInterval(() => {
        this.tick().catch((err) => this.options.onError?.(err));
      }, this.options.tickIntervalMs);
  }

  /** Delivers every due message; returns how many. */
  tick(): Promise<number> {
    if (this.running) return this.running;
    const run = this.deliverDue().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  /** The delivery deadline of a delayed message stored at `storeTimestamp` (also the CQ tagsCode). */
  deliverTimeOf(level: number, storeTimestamp: number): number {
    const levels = this.options.delayLevels;
    return storeTimestamp + levels[Math.min(Math.max(level, 1), levels.length) - 1]!;
  }

  /** level -> cursor, for GET_ALL_DELAY_OFFSET. */
  offsets(): Record<string, number> {
    return Object.fromEntries([...this.cursor].map(([level, offset]) => [String(level), offset]));
  }

  persist(): void {
    this.file.persist();
  }

  /**
   * persist with the file writes and fsyncs off the event loop (the broker's timer: a synchronous fsync stalls
   * every request on a busy disk). Cursors moved meanwhile go in the next write; a failed write is retried then.
   */
  persistAsync(): Promise<void> {
    return this.file.persistAsync();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => 0);
    this.persist();
  }

  private async deliverDue(): Promise<number> {
    const { store, delayLevels, clock } = this.options;
    let delivered = 0;
    for (let level = 1; level <= delayLevels.length && !this.closed; level++) {
      const now = clock();
      if ((this.nextDue.get(level) ?? 0) > now) continue;
      const queueId = level - 1;
      const max = store.getMaxOffsetInQueue(RMQ_SYS_SCHEDULE_TOPIC, queueId);
      let offset = Math.max(
        this.cursor.get(level) ?? 0,
        store.getMinOffsetInQueue(RMQ_SYS_SCHEDULE_TOPIC, queueId),
      );
      this.nextDue.delete(level);
      scan: while (offset < max && !this.closed) {
        const r = await store.getMessages({
          topic: RMQ_SYS_SCHEDULE_TOPIC,
          queueId,
          queueOffset: offset,
          maxCount: 64,
        });
        for (const m of r.messages) {
          const due = m.storeTimestamp + delayLevels[queueId]!;
          if (due > clock()) {
            this.nextDue.set(level, due);
            break scan;
          }
          await this.deliver(m);
          delivered++;
          offset = m.queueOffset + 1;
          this.setCursor(level, offset);
        }
        if (r.messages.length === 0) {
          if (r.nextBeginOffset <= offset) break;
          offset = r.nextBeginOffset;
          this.setCursor(level, offset);
        }
      }
    }
    return delivered;
  }

  private setCursor(level: number, offset: number): void {
    if (this.cursor.get(level) === offset) return;
    this.cursor.set(level, offset);
    this.file.markDirty();
  }

  private async deliver(m: MessageExt): Promise<void> {
    const properties = { ...m.properties };
    const realTopic = properties[MessageConst.PROPERTY_REAL_TOPIC];
    const realQueueId = Number.parseInt(properties[MessageConst.PROPERTY_REAL_QUEUE_ID] ?? "", 10);
    if (!realTopic || !Number.isInteger(realQueueId) || realQueueId < 0) {
      this.options.onError?.(new Error(`delayed message ${m.msgId} has no REAL_TOPIC/REAL_QID; dropped`));
      return;
    }
    delete properties[MessageConst.PROPERTY_DELAY_TIME_LEVEL];
    await this.options.store.putMessage(reputInput(m, realTopic, realQueueId, properties, m.reconsumeTimes));
  }
}
