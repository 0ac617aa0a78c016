/**
 * `nucleus submit`: builds a job spec from what the user typed, submits it, and optionally waits
 * for the result.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, NucleusError, invalidArgument, toNucleusError } from '../errors.js';
import { parseDuration } from '../core/duration.js';
import type { MasterClient } from '../rpc/client.js';
import type { Job, JobSpec, DeepPartial } from '../rpc/generated/nucleus/v1/jobs.js';
import { statusFromProto } from '../rpc/convert.js';
import { DEFAULT_MASTER_SETTINGS } from '../master/master.js';

export interface SubmitOptions {
  type: string;
  /** JSON text, or a plain string when it is not JSON. */
  payload?: string;
  payloadFile?: string;
  contentType?: string;
  queue?: string;
  priority?: number;
  retries?: number;
  timeout?: string;
  delay?: string;
  at?: string;
  key?: string;
  /** `base[,cap]` */
  backoff?: string;
  wait: boolean;
  waitTimeoutMs: number;
}

export interface SubmitOutcome {
  jobId: string;
  status: string;
  duplicate: boolean;
  /** The master's warning, e.g. "no connected worker handles `fibonaci` (did you mean `fibonacci`?); ...". */
  warning?: string;
  /** The finished job, with --wait. */
  job?: Job;
  finished?: boolean;
}

function duration(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (typeof ms !== 'number') throw invalidArgument(flag, ms.error);
  return ms;
}

/** On the wire 0 means "the default": a 0 typed by a person is refused rather than silently turned into that. */
function positiveDuration(text: string, flag: string, hint: string): number {
  const ms = duration(text, flag);
  if (ms === 0) throw invalidArgument(flag, `must be greater than zero (${hint})`);
  return ms;
}

/** Payload bytes and content type from the positional argument, --payload or --payload-file. */
export function payloadOf(options: Pick<SubmitOptions, 'payload' | 'payloadFile' | 'contentType'>): { bytes: Buffer; contentType: string } {
  if (options.payload !== undefined && options.payloadFile !== undefined) {
    throw invalidArgument('--payload-file', 'give the payload either inline or as a file, not both');
  }
  if (options.payloadFile !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(options.payloadFile);
    } catch (error) {
      throw invalidArgument('--payload-file', `cannot read ${options.payloadFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    let contentType = options.contentType;
    if (!contentType) {
      try {
        JSON.parse(bytes.toString('utf8'));
        contentType = 'application/json';
      } catch {
        contentType = 'application/octet-stream';
      }
    }
    return { bytes, contentType };
  }
  if (options.payload === undefined) return { bytes: Buffer.alloc(0), contentType: options.contentType ?? 'application/json' };
  if (options.contentType && !options.contentType.startsWith('application/json')) {
    return { bytes: Buffer.from(options.payload), contentType: options.contentType };
  }
  return { bytes: Buffer.from(JSON.stringify(jsonPayload(options.payload))), contentType: 'application/json' };
}

/**
 * The payload as a JSON value. Text that starts like JSON (`{`, `[` or `"`) must be JSON: a typo in
 * it is an error naming the position, not a string stored in its place. Anything else that does not
 * parse (a bare word such as `hello`) is sent as a JSON string.
 */
export function jsonPayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const start = text.trimStart();
    if (!/^[{["]/.test(start)) return text;
    throw invalidArgument('payload', `${jsonErrorAt(text, (error as Error).message)}; quote it to send it as a string, or pass --content-type text/plain`);
  }
}

/** JSON.parse's message as "not valid JSON at line L, column C (position P): problem". */
function jsonErrorAt(text: string, message: string): string {
  const match = / in JSON at position (\d+)/.exec(message);
  const position = match ? Number(match[1]) : text.length;
  const problem = message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'it ends too soon');
  const before = text.slice(0, position).split('\n');
  const line = before.length;
  const column = before[before.length - 1].length + 1;
  return `not valid JSON at line ${line}, column ${column} (position ${position}): ${problem}`;
}

export function buildSpec(options: SubmitOptions): DeepPartial<JobSpec> {
  const { bytes, contentType } = payloadOf(options);
  // The wire's '' means "the default queue", so an empty --queue (an unset shell variable, say) is refused, not taken as that.
  if (options.queue === '') throw invalidArgument('--queue', 'must not be empty (leave the flag out for the default queue)');
  const spec: DeepPartial<JobSpec> = { type: options.type, payload: bytes, contentType, queue: options.queue ?? '' };
  if (options.priority !== undefined) spec.priority = options.priority;
  if (options.retries !== undefined) spec.maxRetries = options.retries;
  if (options.timeout !== undefined) spec.timeoutMs = positiveDuration(options.timeout, '--timeout', "leave the flag out for the master's default");
  if (options.delay !== undefined && options.at !== undefined) throw invalidArgument('--at', 'give either --delay or --at, not both');
  if (options.delay !== undefined) spec.delayMs = duration(options.delay, '--delay');
  if (options.at !== undefined) {
    const at = Date.parse(options.at);
    if (Number.isNaN(at)) throw invalidArgument('--at', `"${options.at}" is not an ISO 8601 time (e.g. 2026-12-01T09:30:00Z)`);
    spec.runAtMs = at;
  }
  if (options.key !== undefined) spec.idempotencyKey = options.key;
  if (options.backoff !== undefined) {
    const [base, cap] = options.backoff.split(',');
    spec.backoffBaseMs = positiveDuration(base, '--backoff', 'leave the flag out for the default, 1s,1h');
    if (cap !== undefined) spec.backoffCapMs = positiveDuration(cap, '--backoff', 'leave the flag out for the default, 1s,1h');
  }
  return spec;
}

/** What a caller hears while `submit` runs, so that a job id is never lost. */
export interface SubmitHooks {
  /** The master has acknowledged the job (it is committed); called before any wait. */
  onAccepted?(jobId: string, duplicate: boolean): void;
  /** The master went away during the wait; another try follows in `retryInMs`. */
  onRetry?(error: NucleusError, retryInMs: number): void;
  /** The master accepted the job but warns, e.g. that no connected worker handles its type. */
  onWarning?(warning: string): void;
}

/**
 * Payloads up to the default limit go straight out; a larger one is first checked against the
 * master's --max-payload (one GetStats call), so that a payload the master would refuse is refused
 * here, before megabytes cross the network, with the master's own wording.
 */
async function checkPayloadSize(client: MasterClient, bytes: number): Promise<void> {
  if (bytes <= DEFAULT_MASTER_SETTINGS.maxPayloadBytes) return;
  const { maxPayloadBytes } = await client.call('getStats', {});
  // 0: a master from before the field; it checks for itself.
  if (maxPayloadBytes > 0 && bytes > maxPayloadBytes) {
    throw new NucleusError(ErrorCode.ResourceExhausted, `job.payload: ${bytes} bytes is over the limit of ${maxPayloadBytes} bytes (--max-payload)`);
  }
}

export async function submit(client: MasterClient, options: SubmitOptions, hooks: SubmitHooks = {}): Promise<SubmitOutcome> {
  const spec = buildSpec(options);
  await checkPayloadSize(client, spec.payload?.length ?? 0);
  const response = await client.call('submitJob', { job: spec });
  const outcome: SubmitOutcome = { jobId: response.jobId, status: statusFromProto(response.status), duplicate: response.duplicate };
  if (response.warning) {
    outcome.warning = response.warning;
    hooks.onWarning?.(response.warning);
  }
  hooks.onAccepted?.(response.jobId, response.duplicate);
  if (!options.wait) return outcome;
  let waited;
  try {
    waited = await waitForJob(client, response.jobId, options.waitTimeoutMs, hooks.onRetry);
  } catch (error) {
    // The job exists whatever went wrong with the wait: say which one, and keep the error's code (and so its exit code).
    const e = toNucleusError(error);
    throw new NucleusError(e.code, `job ${response.jobId} was submitted, but waiting for it failed: ${e.message} (nucleus status ${response.jobId} shows it)`, { cause: e });
  }
  return { ...outcome, job: waited.job, finished: waited.finished, status: statusFromProto(waited.job!.status) };
}

const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 5_000;

/**
 * Waits up to `waitMs` for a job to finish, across a restart of the master: a call that fails
 * because the master is away (unreachable, restarting, draining, silent) is made again with
 * backoff until the wait's own deadline; any other error ends the wait.
 */
export async function waitForJob(client: MasterClient, jobId: string, waitMs: number, onRetry?: SubmitHooks['onRetry']) {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; ) {
    const left = Math.max(1, deadline - Date.now());
    try {
      const waited = await client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: left }, left + 5_000);
      attempt = 0;
      // A master may answer before the wait is over (it caps a wait by its own limits): ask again.
      if (waited.finished || Date.now() >= deadline) return waited;
    } catch (error) {
      const e = toNucleusError(error);
      if (e.code !== ErrorCode.Unavailable && e.code !== ErrorCode.DeadlineExceeded) throw e;
      const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt++);
      if (Date.now() + delay >= deadline) throw e;
      onRetry?.(e, delay);
      await sleep(delay);
    }
  }
}
