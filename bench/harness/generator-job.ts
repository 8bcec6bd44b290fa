/**
 * The contract between fanOut() and a load-generator job running in a child process. A job module
 * exports functions of type GeneratorJob; generator.ts runs one of them.
 */

export interface GeneratorControl {
  /** Signals "connected and set up", then resolves when the parent says go (all children at once). */
  ready(): Promise<void>;
  /** Reports the cumulative count of messages done (published and acked, or consumed). Cheap. */
  progress(count: number): void;
  /** True once the parent asked this child to stop (consumers: the total has been reached). */
  readonly stopped: boolean;
  /** Resolves when the parent asks to stop. */
  readonly stop: Promise<void>;
}

export interface GeneratorOutcome {
  count: number;
}

export type GeneratorJob<P> = (params: P, ctl: GeneratorControl) => Promise<GeneratorOutcome>;

/** What a child reports at the end. */
export interface GeneratorResult {
  count: number;
  /** User + system CPU of the child between go and the end of the job. */
  cpuMs: number;
}
