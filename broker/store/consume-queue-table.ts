import * as fs from "node:fs";
import * as path from "node:path";
import { ConsumeQueue } from "./consume-queue.ts";

/** Every ConsumeQueue of the store, under consumequeue/<topic>/<queueId>/. */
export class ConsumeQueueTable {
  readonly dir: string;
  private readonly unitsPerFile: number;
  private readonly table = new Map<string, Map<number, ConsumeQueue>>();

  constructor(dir: string, unitsPerFile: number) {
    this.dir = dir;
    this.unitsPerFile = unitsPerFile;
  }

  /** Opens the queues found on disk (directories that are not a queue id are ignored). */
  load(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    for (const topic of fs.readdirSync(this.dir)) {
      const topicDir = path.join(this.dir, topic);
      if (!fs.statSync(topicDir).isDirectory()) continue;
      for (const name of fs.readdirSync(topicDir)) {
        if (!/^\d{1,10}$/.test(name)) continue;
        const cq = this.create(topic, Number(name));
        cq.load();
      }
    }
  }

  find(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.table.get(topic)?.get(queueId);
  }

  findOrCreate(topic: string, queueId: number): ConsumeQueue {
    return this.find(topic, queueId) ?? this.create(topic, queueId);
  }

  *all(): IterableIterator<ConsumeQueue> {
    for (const queues of this.table.values()) yield* queues.values();
  }

  topics(): string[] {
    return [...this.table.keys()].sort();
  }

  queueIds(topic: string): number[] {
    return [...(this.table.get(topic)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** Deletes the topic's queues and their files. */
  deleteTopic(topic: string): boolean {
    const queues = this.table.get(topic);
    if (!queues) return false;
    for (const cq of queues.values()) cq.destroy();
    this.table.delete(topic);
    fs.rmSync(path.join(this.dir, topic), { recursive: true, force: true });
    return true;
  }

  async flush(): Promise<void> {
    const flushes: Promise<void>[] = [];
    for (const cq of this.all()) flushes.push(cq.flush());
    await Promise.all(flushes);
  }

  close(): void {
    for (const cq of this.all()) cq.close();
  }

  private create(topic: string, queueId: number): ConsumeQueue {
    let queues = this.table.get(topic);
    if (!queues) {
      queues = new Map();
      this.table.set(topic, queues);
    }
    const cq = new ConsumeQueue(this.dir, topic, queueId, this.unitsPerFile);
    queues.set(queueId, cq);
    return cq;
  }
}
