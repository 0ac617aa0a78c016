/**
 * A stand-in master for a worker's warm-up: WorkerService.Connect on 127.0.0.1, for one worker.
 * It welcomes the worker, keeps every slot filled with no-op assignments until `jobs` results
 * have come back, and acknowledges each result as the real master does (one ResultAcks message
 * per Results message). It stores nothing and runs nothing: it speaks the worker protocol
 * (proto/nucleus/v1/worker.proto) and no more.
 */
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { WorkerServiceService, type MasterMessage, type WorkerMessage } from './generated/nucleus/v1/worker.js';

export interface WarmUpMaster {
  address: string;
  /** Resolves once `jobs` results have been acknowledged. */
  done: Promise<void>;
  close(): void;
}

const PAYLOAD = Buffer.from('{}');

export async function startWarmUpMaster(jobs: number): Promise<WarmUpMaster> {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const server = new Server();
  server.addService(WorkerServiceService, {
    connect(call: ServerDuplexStream<WorkerMessage, MasterMessage>) {
      let sent = 0;
      let acked = 0;
      const assign = (count: number) => {
        const n = Math.min(count, jobs - sent);
        if (n <= 0) return;
        const assignments = Array.from({ length: n }, () => ({
          jobId: String(++sent),
          attempt: 1,
          type: 'noop',
          payload: PAYLOAD,
          contentType: 'application/json',
          queue: 'default',
          timeoutMs: 30_000,
          maxRetries: 0,
          createdAtMs: Date.now(),
        }));
        call.write({ msg: { $case: 'assignments', value: { assignments } } });
      };
      call.on('data', (message: WorkerMessage) => {
        const msg = message.msg;
        if (msg?.$case === 'hello') {
          call.write({ msg: { $case: 'welcome', value: { masterVersion: '', heartbeatIntervalMs: 3_000, heartbeatTimeoutMs: 10_000, maxResultBytes: 1024 * 1024, reattached: [], refused: [] } } });
          assign(msg.value.concurrency);
        } else if (msg?.$case === 'results') {
          const results = msg.value.results;
          call.write({ msg: { $case: 'acks', value: { acks: results.map((r) => ({ jobId: r.jobId, attempt: r.attempt, accepted: true, reason: '' })) } } });
          acked += results.length;
          assign(results.length);
          if (acked >= jobs) finish();
        }
      });
      call.on('error', () => {});
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { address: `127.0.0.1:${port}`, done, close: () => server.forceShutdown() };
}
