/**
 * The durable timer store for delay/timer messages (RocketMQ 5 timer wheel, RIP-43): an append-only timer
 * log with group-commit fdatasync, and an in-memory wheel rebuilt from it on open. See README.md.
 */
export type { TimerCancel, TimerDueHandler, TimerEntry, TimerSchedule, TimerStats } from "./timer-entry.ts";
export { TIMER_KEY_MAX_BYTES, TIMER_RECORD_SIZE } from "./timer-record.ts";
export { createTimerStore, TimerStore } from "./timer-store.ts";
export { defaultTimerStoreOptions, type TimerStoreOptions } from "./timer-store-options.ts";
