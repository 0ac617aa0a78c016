/**
 * A worker played by hand over the raw WorkerService stream, for tests of the protocol's edges
 * (stale results, silent workers, reconnects) that a well-behaved Worker never produces.
 * Every wait polls with a deadline; nothing sleeps for a fixed time.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { workerClient } from '../../src/rpc/client.js';
import {
  Hello,
  Outcome,
  Result,
  type Assignment,
  type Lease,
  type MasterMessage,
  type ResultAck,
  type Welcome,
  type WorkerMessage,
  type WorkerServiceClient,
} from '../../src/rpc/generated/nucleus/v1/worker.js';
import { waitFor } from '../helpers/cluster.js';

type Case<K extends NonNullable<MasterMessage['msg']>['$case']> = Extract<NonNullable<MasterMessage['msg']>, { $case: K }>['value'];

export class HandWorker {
  readonly received: MasterMessage[] = [];
  /** Set when the master ends the stream (or it errors). */
  ended: string | null = null;
  private readonly stream: ClientDuplexStream<WorkerMessage, MasterMessage>;
  private taken = 0;

  private constructor(
    private readonly client: WorkerServiceClient,
    readonly hello: Hello,
    sayHello: boolean,
  ) {
    this.stream = client.connect();
    this.stream.on('data', (m: MasterMessage) => this.received.push(m));
    this.stream.on('error', (e: Error & { details?: string }) => (this.ended ??= e.details ?? e.message));
    this.stream.on('end', () => (this.ended ??= 'stream ended'));
    if (sayHello) this.stream.write({ msg: { $case: 'hello', value: hello } });
  }

  /** Opens a stream, says Hello (defaults: one slot, the `echo` type, queue default) and waits for Welcome. */
  static async connect(address: string, hello: Partial<Hello> & { workerId: string }): Promise<HandWorker> {
    const worker = HandWorker.open(address, hello);
    await worker.welcome();
    return worker;
  }

  /**
   * Opens a stream and says Hello (unless `sayHello` is false) without waiting for the answer: for
   * streams the master should refuse.
   */
  static open(address: string, hello: Partial<Hello>, sayHello = true): HandWorker {
    const full = Hello.fromPartial({ concurrency: 1, jobTypes: ['echo'], hostname: 'test', pid: 1, ...hello });
    return new HandWorker(workerClient(address), full, sayHello);
  }

  /** Sends a raw message, well-formed or not. */
  send(message: WorkerMessage): void {
    this.stream.write(message);
  }

  welcome(): Promise<Welcome> {
    return this.next('welcome');
  }

  /** All messages of a kind received so far. */
  all<K extends NonNullable<MasterMessage['msg']>['$case']>(kind: K): Array<Case<K>> {
    return this.received.filter((m) => m.msg?.$case === kind).map((m) => m.msg!.value as Case<K>);
  }

  /** The first message of a kind, waiting for it. */
  async next<K extends NonNullable<MasterMessage['msg']>['$case']>(kind: K, timeoutMs = 5000): Promise<Case<K>> {
    await waitFor(() => this.all(kind).length > 0, `a ${kind} message for ${this.hello.workerId}`, timeoutMs);
    return this.all(kind)[0];
  }

  /** The next assignment not taken before, waiting for it. */
  async assignment(timeoutMs = 5000): Promise<Assignment> {
    const a = await waitFor(() => this.all('assignments').flatMap((m) => m.assignments)[this.taken], `an assignment for ${this.hello.workerId}`, timeoutMs);
    this.taken++;
    return a;
  }

  /** The ack for a lease, waiting for it. */
  ack(jobId: string, attempt: number, timeoutMs = 5000): Promise<ResultAck> {
    return waitFor(
      () => this.all('acks').flatMap((m) => m.acks).find((a) => a.jobId === jobId && a.attempt === attempt),
      `an ack for job ${jobId} attempt ${attempt}`,
      timeoutMs,
    );
  }

  heartbeat(running: Array<{ jobId: string; attempt: number; progress?: number; progressMessage?: string }> = []): void {
    this.stream.write({
      msg: {
        $case: 'heartbeat',
        value: { running: running.map((r) => ({ progress: 0, progressMessage: '', ...r })) },
      },
    });
  }

  result(jobId: string, attempt: number, value: unknown, outcome: Outcome = Outcome.OUTCOME_COMPLETED, error = ''): void {
    const result = Result.fromPartial({
      jobId,
      attempt,
      outcome,
      result: outcome === Outcome.OUTCOME_COMPLETED ? Buffer.from(JSON.stringify(value)) : Buffer.alloc(0),
      contentType: 'application/json',
      error,
      startedAtMs: Date.now(),
      finishedAtMs: Date.now(),
    });
    this.stream.write({ msg: { $case: 'results', value: { results: [result] } } });
  }

  goodbye(returned: Lease[]): void {
    this.stream.write({ msg: { $case: 'goodbye', value: { returned } } });
  }

  /** Half-closes the stream, as a worker that disconnects cleanly. */
  disconnect(): void {
    this.stream.end();
  }

  /** Tears the call down and closes the channel. */
  close(): void {
    this.stream.cancel();
    this.client.close();
  }
}
