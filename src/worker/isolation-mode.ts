/** Where a worker runs the handlers of its module (see isolation.ts), and the default. */
export type Isolation = 'thread' | 'process' | 'none';
export const ISOLATIONS: readonly Isolation[] = ['thread', 'process', 'none'];
/**
 * thread: a CPU-bound handler cannot stop heartbeats and a stuck one can be terminated, for about
 * 80 µs more per no-op job than none; process costs twice none or more (bench/README.md).
 */
export const DEFAULT_ISOLATION: Isolation = 'thread';
/** How long an aborted handler may take to stop before its thread or process is terminated. */
export const DEFAULT_ABORT_GRACE_MS = 5_000;
