/**
 * WorkerService.Connect over gRPC: one bidirectional stream per worker. Translates the wire
 * messages to scheduler calls and the scheduler's messages back (see proto/nucleus/v1/worker.proto
 * for the protocol). The first message must be Hello; a malformed stream is ended with
 * INVALID_ARGUMENT and the master carries on.
 */
import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { outcomeFromProto, toBuffer } from './convert.js';
import { parseJobId, parseName } from '../core/validation.js';
import { ErrorCode, NucleusError, invalidArgument, toNucleusError } from '../errors.js';
import { UndecodableRequest, undecodableDetails } from './wire-guard.js';
import type { MasterMessage, WorkerMessage, WorkerServiceServer, Hello } from './generated/nucleus/v1/worker.js';
import type { Master } from '../master/master.js';
import type { WorkerSession } from '../master/scheduler.js';
import type { Lease, ResultAck, ToWorker, WorkerHello, WorkerLink } from '../master/protocol.js';
import type { Logger } from '../log.js';
import type { LeasedJob } from '../store/job-store.js';
import { ENVELOPE_BYTES, ITEM_OVERHEAD_BYTES, utf8Bound, writeInParts } from './message-parts.js';

/** Upper bounds of one item's encoded size, for splitting (names are ASCII, at most 128 chars). */
const assignmentBytes = (j: LeasedJob): number => j.payload.byteLength + j.type.length + j.queue.length + utf8Bound(j.contentType) + ITEM_OVERHEAD_BYTES;
const ackBytes = (a: ResultAck): number => utf8Bound(a.reason) + ITEM_OVERHEAD_BYTES;

const leaseToProto = (l: Lease) => ({ jobId: String(l.id), attempt: l.attempt });
/** Job ids on the stream are read as strictly as JobService reads them: "0x10", " 1" or "abc" end the stream. */
const leaseFromProto = (l: { jobId: string; attempt: number }, field: string): Lease => ({ id: parseJobId(l.jobId, `${field}.job_id`), attempt: l.attempt });

function toWire(message: ToWorker): MasterMessage {
  switch (message.kind) {
    case 'welcome':
      return {
        msg: {
          $case: 'welcome',
          value: {
            masterVersion: '',
            heartbeatIntervalMs: message.heartbeatIntervalMs,
            heartbeatTimeoutMs: message.heartbeatTimeoutMs,
            maxResultBytes: message.maxResultBytes,
            reattached: message.reattached.map(leaseToProto),
            refused: message.refused.map(leaseToProto),
          },
        },
      };
    case 'assignments':
      return {
        msg: {
          $case: 'assignments',
          value: {
            assignments: message.jobs.map((j) => ({
              jobId: String(j.id),
              attempt: j.attempt,
              type: j.type,
              payload: toBuffer(j.payload),
              contentType: j.contentType,
              queue: j.queue,
              timeoutMs: j.timeoutMs,
              maxRetries: j.maxRetries,
              createdAtMs: j.createdAt,
            })),
          },
        },
      };
    case 'cancel':
      return { msg: { $case: 'cancel', value: { leases: message.leases.map(leaseToProto), reason: message.reason } } };
    case 'drain':
      return { msg: { $case: 'drain', value: { reason: message.reason } } };
    case 'acks':
      return {
        msg: {
          $case: 'acks',
          value: { acks: message.acks.map((a) => ({ jobId: String(a.id), attempt: a.attempt, accepted: a.accepted, reason: a.reason })) },
        },
      };
  }
}

function helloFromWire(hello: Hello): WorkerHello {
  const workerId = parseName(hello.workerId, 'hello.worker_id');
  if (!Number.isInteger(hello.concurrency) || hello.concurrency < 1 || hello.concurrency > 1024) {
    throw invalidArgument('hello.concurrency', `must be an integer from 1 to 1024 (got ${hello.concurrency})`);
  }
  const queues = hello.queues.length > 0 ? hello.queues.map((q, i) => parseName(q, `hello.queues[${i}]`)) : ['default'];
  const jobTypes = hello.jobTypes.map((t, i) => parseName(t, `hello.job_types[${i}]`));
  if (jobTypes.length === 0) throw invalidArgument('hello.job_types', 'must name at least one job type');
  return {
    workerId,
    concurrency: hello.concurrency,
    queues,
    jobTypes,
    hostname: hello.hostname.slice(0, 255),
    pid: hello.pid,
    version: hello.version.slice(0, 64),
    held: hello.held.map((l, i) => leaseFromProto(l, `hello.held[${i}]`)),
    sessionSecret: parseSessionSecret(hello.sessionSecret),
  };
}

const SECRET_MIN = 16;
const SECRET_MAX = 128;

function parseSessionSecret(secret: string): string {
  if (secret !== '' && (secret.length < SECRET_MIN || secret.length > SECRET_MAX)) {
    throw invalidArgument('hello.session_secret', `must be empty or ${SECRET_MIN} to ${SECRET_MAX} characters (got ${secret.length})`);
  }
  return secret;
}

/**
 * `maxMessageBytes` is the largest message the worker takes (the same limit as the master's own):
 * assignments and acknowledgements are split to fit it (see message-parts.ts).
 */
/** How long a new stream may go without Hello before the master ends it (a worker sends it at once). */
export const HELLO_DEADLINE_MS = 10_000;

export function workerService(master: Master, logger: Logger, maxMessageBytes: number, helloDeadlineMs = HELLO_DEADLINE_MS): WorkerServiceServer {
  const budget = Math.max(1, maxMessageBytes - ENVELOPE_BYTES);
  return {
    connect(call: ServerDuplexStream<WorkerMessage, MasterMessage>): void {
      let session: WorkerSession | null = null;
      let ended = false;
      const link: WorkerLink = {
        send: (message) => {
          if (ended) return;
          if (message.kind === 'assignments') {
            writeInParts(message.jobs, assignmentBytes, budget, (jobs) => call.write(toWire({ kind: 'assignments', jobs })));
          } else if (message.kind === 'acks') {
            writeInParts(message.acks, ackBytes, budget, (acks) => call.write(toWire({ kind: 'acks', acks })));
          } else call.write(toWire(message));
        },
        close: () => {
          if (ended) return;
          ended = true;
          call.end();
        },
      };
      const fail = (error: NucleusError) => {
        if (ended) return;
        ended = true;
        logger.warn({ err: error.message }, 'worker stream refused');
        // Malformed input is INVALID_ARGUMENT whatever the cause; an id in use is ALREADY_EXISTS.
        const code = error.code === ErrorCode.AlreadyExists ? GrpcStatus.ALREADY_EXISTS : GrpcStatus.INVALID_ARGUMENT;
        call.emit('error', { code, details: error.message });
      };
      // A stream that never says Hello would hold its slot (and a descriptor's worth) forever.
      const helloTimer = setTimeout(() => {
        if (session || ended) return;
        ended = true;
        logger.warn({ afterMs: helloDeadlineMs }, 'worker stream closed: no Hello in time');
        call.emit('error', { code: GrpcStatus.DEADLINE_EXCEEDED, details: `hello: no Hello within ${helloDeadlineMs} ms of opening the stream` });
      }, helloDeadlineMs);
      helloTimer.unref();
      call.on('data', (message: WorkerMessage | UndecodableRequest) => {
        if (message instanceof UndecodableRequest) {
          fail(new NucleusError(ErrorCode.InvalidArgument, undecodableDetails(message)));
          return;
        }
        try {
          const msg = message.msg;
          if (!session) {
            if (msg?.$case !== 'hello') throw invalidArgument('hello', 'the first message on the stream must be Hello');
            if (master.state !== 'running') {
              ended = true;
              call.emit('error', { code: GrpcStatus.UNAVAILABLE, details: `the master is ${master.state}` });
              return;
            }
            clearTimeout(helloTimer);
            session = master.scheduler.connect(helloFromWire(msg.value), link);
            return;
          }
          switch (msg?.$case) {
            case 'heartbeat':
              master.scheduler.heartbeat(
                session,
                msg.value.running.map((r, i) => ({ id: parseJobId(r.jobId, `heartbeat.running[${i}].job_id`), attempt: r.attempt, progress: r.progress, message: r.progressMessage.slice(0, 1024) })),
              );
              break;
            case 'results':
              master.scheduler.results(
                session,
                msg.value.results.map((r, i) => ({
                  id: parseJobId(r.jobId, `results[${i}].job_id`),
                  attempt: r.attempt,
                  outcome: outcomeFromProto(r.outcome),
                  result: r.result,
                  contentType: r.contentType,
                  error: r.error.slice(0, 64 * 1024),
                  startedAt: r.startedAtMs,
                  finishedAt: r.finishedAtMs,
                })),
              );
              break;
            case 'goodbye':
              master.scheduler.giveBack(session, msg.value.returned.map((l, i) => leaseFromProto(l, `goodbye.returned[${i}]`)));
              break;
            case 'drain':
              master.scheduler.drain(session);
              break;
            case 'hello':
              throw invalidArgument('hello', 'was already sent on this stream');
            default:
              // Any message is a sign of life, measured on the master's clock like every other.
              master.scheduler.heartbeat(session, []);
          }
        } catch (error) {
          fail(error instanceof NucleusError ? error : toNucleusError(error));
        }
      });
      const closed = () => {
        ended = true;
        clearTimeout(helloTimer);
        if (session) master.scheduler.disconnect(session);
      };
      call.on('end', () => {
        closed();
        call.end();
      });
      call.on('error', closed);
      call.on('cancelled', closed);
      call.on('close', closed);
    },
  };
}
