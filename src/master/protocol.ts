/**
 * The worker protocol as the master sees it, free of wire types: `rpc/worker-service.ts`
 * translates these to and from the generated protobuf messages. See proto/nucleus/v1/worker.proto
 * for the protocol itself.
 */
import type { LeasedJob } from '../store/job-store.js';

export interface Lease {
  id: number;
  attempt: number;
}

export interface WorkerHello {
  workerId: string;
  concurrency: number;
  queues: string[];
  jobTypes: string[];
  hostname: string;
  pid: number;
  version: string;
  held: Lease[];
  /** The worker process's session secret ('' when the worker sent none). */
  sessionSecret: string;
}

export type ResultOutcome = 'completed' | 'error' | 'fatal' | 'timeout' | 'cancelled';

export interface WorkerResult {
  id: number;
  attempt: number;
  outcome: ResultOutcome;
  result: Uint8Array | null;
  contentType: string;
  error: string;
  startedAt: number;
  finishedAt: number;
}

export interface RunningReport {
  id: number;
  attempt: number;
  progress: number;
  message: string;
}

export interface ResultAck {
  id: number;
  attempt: number;
  accepted: boolean;
  reason: string;
}

export type ToWorker =
  | { kind: 'welcome'; reattached: Lease[]; refused: Lease[]; heartbeatIntervalMs: number; heartbeatTimeoutMs: number; maxResultBytes: number }
  | { kind: 'assignments'; jobs: LeasedJob[] }
  | { kind: 'cancel'; leases: Lease[]; reason: string }
  | { kind: 'drain'; reason: string }
  | { kind: 'acks'; acks: ResultAck[] };

/** The master's end of one worker's stream. */
export interface WorkerLink {
  send(message: ToWorker): void;
  /** Ends the stream (the worker is declared dead, replaced, or the master stops). */
  close(): void;
}
