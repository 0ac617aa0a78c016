/**
 * The scheduler: the master's engine. It owns the in-memory view of the store (runnable set,
 * active leases, counts) and every path that changes a job.
 *
 * Guarantees:
 * - A submit resolves only after its job is committed. Submits that arrive in the same turn of
 *   the event loop share one transaction (group commit); so do claims and attempt ends.
 * - Dispatch is pushed over each worker's stream and never leaves more attempts in flight on a
 *   worker than its declared concurrency. Picking a job never reads the store.
 * - Claims are committed before the assignment is sent, so a lease number is never handed out
 *   twice, even across a master crash.
 * - Results are fenced by lease twice: against the in-memory lease, then in SQL.
 * - Each lease is bound to the worker process that received it by that process's session secret
 *   (sent in Hello; the master keeps only its hash). Only a stream presenting the same secret can
 *   reattach the lease after a reconnect or report its result while the lease is orphaned, so a
 *   client holding only the worker token cannot take over another worker's jobs.
 * - One live session per worker id: a Hello for an id whose session is alive is refused
 *   (ALREADY_EXISTS, naming the host and pid holding it) unless it presents that session's secret
 *   (the same process, reconnecting after a network blip: it takes over at once). A session whose
 *   stream has closed, or that was silent past the heartbeat timeout, is gone: a restarted worker
 *   takes its id over at once and the old leases end as lost.
 * - A worker silent past the heartbeat timeout is declared dead: its leases are ended as `lost`
 *   and the jobs go back to the front of their queue (or to dead_letter when out of retries).
 *   After a master restart, running jobs wait one heartbeat timeout for their worker to reconnect
 *   and claim them; then they are treated as lost.
 * - A master that was itself stalled (SIGSTOP, a long synchronous pause, a suspended VM) does not
 *   blame its workers: the sweep measures its own lateness, and after a stall of STALL_MS or more
 *   every worker gets a fresh heartbeat window (orphaned leases too, and attempt deadlines move
 *   by the stall) before anyone is judged. The heartbeats they sent meanwhile are still unread.
 */
import { createHash } from 'node:crypto';
import { JobCounts } from './job-counts.js';
import { JobEventBus, type JobChange } from './events.js';
import { RunnableSet } from './runnable-set.js';
import { stateOf, transition, type JobEvent } from '../core/state-machine.js';
import { JOB_LIMITS, isTerminal, type AttemptOutcome, type JobStatus, type NewJob } from '../core/job.js';
import { ErrorCode, NucleusError } from '../errors.js';
import type { Clock } from '../core/clock.js';
import type { AttemptEnd, InsertedJob, JobStore, LeasedJob, StatusChange } from '../store/job-store.js';
import type { Lease, ResultAck, RunningReport, WorkerHello, WorkerLink, WorkerResult } from './protocol.js';
import type { Logger } from '../log.js';

export interface SchedulerOptions {
  store: JobStore;
  clock: Clock;
  logger: Logger;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Extra time past an attempt's timeout before the master ends it itself. */
  timeoutGraceMs: number;
  idempotencyWindowMs: number;
  /** The largest result a worker may report (the payload limit); told to workers in Welcome. */
  maxResultBytes: number;
  /** Source of jitter for backoff; Math.random by default. */
  random?: () => number;
}

/** A running attempt the master knows about. `link` is null while its worker is away. */
interface ActiveLease {
  job: LeasedJob;
  session: WorkerSession | null;
  /** Hash of the session secret of the process that received the lease ('' = none: never reattached). */
  secret: string;
  /** When the master ends the attempt as timed out. */
  deadline: number;
  /** While orphaned (worker away): when the attempt counts as lost. */
  orphanDeadline: number;
  /** Progress last written to the store, so that an unchanged heartbeat writes nothing. */
  progress?: string;
}

/** One connected worker. */
export class WorkerSession {
  /** Leases occupying this worker's slots: job id -> attempt. */
  readonly held = new Map<number, number>();
  lastSeen: number;
  /** Heard from last, or the end of a master stall if later: what the heartbeat timeout counts from. */
  get judgedFrom(): number {
    return Math.max(this.lastSeen, this.stallEndedAt);
  }
  /** When the master last came back from a stall (see Scheduler.afterStall). */
  stallEndedAt = 0;
  draining = false;
  alive = true;
  jobsDone = 0;
  readonly queues: ReadonlySet<string>;
  readonly types: ReadonlySet<string>;

  constructor(
    readonly hello: WorkerHello,
    readonly link: WorkerLink,
    readonly connectedAt: number,
    /** Hash of the process's session secret ('' when it sent none). */
    readonly secret: string,
  ) {
    this.lastSeen = connectedAt;
    this.queues = new Set(hello.queues);
    this.types = new Set(hello.jobTypes);
  }

  get id(): string {
    return this.hello.workerId;
  }

  get free(): number {
    return this.draining || !this.alive ? 0 : this.hello.concurrency - this.held.size;
  }
}

interface PendingSubmit {
  jobs: NewJob[];
  resolve: (jobs: InsertedJob[]) => void;
  reject: (error: unknown) => void;
}

interface PendingEnd {
  end: AttemptEnd;
  lease: ActiveLease;
  session: WorkerSession | null;
  startedAt: number;
}

const MAX_CLAIMS_PER_ROUND = 2048;
const PROMOTE_BATCH = 1000;
const QUEUE_WAIT_WINDOW_MS = 60_000;
/** A sweep this much later than its interval means the master was stalled, not its workers. */
const STALL_MS = 1000;

export class Scheduler {
  readonly events = new JobEventBus();
  readonly counts = new JobCounts();
  readonly runnable = new RunnableSet();
  readonly paused = new Set<string>();
  readonly sessions = new Map<string, WorkerSession>();
  private readonly leases = new Map<number, ActiveLease>();
  /** Secret hash last recorded in the store per worker id (a reconnect of the same process writes nothing). */
  private readonly knownSecrets = new Map<string, string>();
  private pendingSubmits: PendingSubmit[] = [];
  private pendingEnds: PendingEnd[] = [];
  private flushScheduled = false;
  private dispatchScheduled = false;
  /** Results wait for the current dispatch round to go out before they are committed. */
  private flushAfterDispatch = false;
  private dueTimer: NodeJS.Timeout | null = null;
  private dueAt: number | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private dispatchRetryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private sweepEveryMs = 0;
  /**
   * When the sweep last ran, on the monotonic clock: a stall is the process's own lost time, so
   * it is measured in real time, not on the injected clock that dates jobs (tests move that one).
   */
  private lastSweepAt = 0;
  /** Recent queue waits (ms) with their time, for p50/p95 over the last minute. */
  private readonly waits: Array<[number, number]> = [];
  submittedTotal = 0;
  finishedTotal = 0;

  constructor(private readonly options: SchedulerOptions) {}

  private get store(): JobStore {
    return this.options.store;
  }

  private now(): number {
    return this.options.clock.now();
  }

  /** Loads the store's state into memory and starts the timers. */
  start(): void {
    const now = this.now();
    this.counts.load(this.store.countByQueueAndStatus());
    for (const queue of this.store.pausedQueues()) this.paused.add(queue);
    for (const job of this.store.loadQueued()) this.runnable.add(job);
    for (const [workerId, secret] of this.store.workerSecrets()) this.knownSecrets.set(workerId, secret);
    for (const job of this.store.loadRunning()) {
      // Re-armed: its worker may reconnect and claim it within one heartbeat timeout.
      this.leases.set(job.id, {
        job,
        session: null,
        secret: this.knownSecrets.get(job.workerId) ?? '',
        deadline: job.startedAt + job.timeoutMs + this.options.timeoutGraceMs,
        orphanDeadline: now + this.options.heartbeatTimeoutMs,
      });
    }
    this.armDueTimer();
    const sweepEvery = Math.max(50, Math.min(500, Math.floor(this.options.heartbeatTimeoutMs / 4)));
    this.sweepEveryMs = sweepEvery;
    this.lastSweepAt = performance.now();
    this.sweepTimer = setInterval(() => this.sweep(), sweepEvery);
    this.sweepTimer.unref();
    this.options.logger.info(
      { queued: this.runnable.size, running: this.leases.size, paused: [...this.paused] },
      'scheduler started',
    );
  }

  /** Flushes pending writes and stops the timers. The store stays open (the caller closes it). */
  stop(): void {
    this.flush();
    this.stopped = true;
    for (const timer of [this.dueTimer, this.sweepTimer, this.dispatchRetryTimer]) if (timer) clearTimeout(timer);
    for (const session of this.sessions.values()) session.link.close();
    this.sessions.clear();
  }

  // ---------------------------------------------------------------- submit (group commit)

  /** Commits validated jobs; resolves after the commit. */
  submit(jobs: NewJob[]): Promise<InsertedJob[]> {
    return new Promise((resolve, reject) => {
      this.pendingSubmits.push({ jobs, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes everything pending: submits first, then attempt ends. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pendingSubmits.length > 0) this.flushSubmits();
    if (this.pendingEnds.length > 0) this.flushEnds();
  }

  private flushSubmits(): void {
    const batch = this.pendingSubmits;
    this.pendingSubmits = [];
    const now = this.now();
    let inserted: InsertedJob[];
    try {
      inserted = this.store.insertJobs(
        batch.flatMap((b) => b.jobs),
        now,
        this.options.idempotencyWindowMs,
      );
    } catch (error) {
      this.options.logger.error({ err: error, jobs: batch.length }, 'submit failed: nothing was written');
      for (const b of batch) b.reject(error);
      return;
    }
    let offset = 0;
    for (const b of batch) {
      const mine = inserted.slice(offset, offset + b.jobs.length);
      b.jobs.forEach((job, i) => {
        const result = mine[i];
        if (result.duplicate) return;
        this.submittedTotal++;
        this.counts.move(job.queue, null, result.status);
        if (result.status === 'queued') {
          this.runnable.add({ id: result.id, queue: job.queue, type: job.type, priority: job.priority, front: false });
        } else if (this.dueAt === null || job.runAt < this.dueAt) {
          this.armDueTimer(job.runAt);
        }
        this.emit(result.id, job.queue, job.type, result.status, null, 0, null, now, null);
      });
      offset += b.jobs.length;
      b.resolve(mine);
    }
    this.scheduleDispatch();
  }

  // ---------------------------------------------------------------- dispatch

  scheduleDispatch(): void {
    if (this.dispatchScheduled || this.stopped) return;
    this.dispatchScheduled = true;
    setImmediate(() => this.dispatch());
  }

  private dispatch(): void {
    this.dispatchScheduled = false;
    this.dispatchRound();
    if (this.flushAfterDispatch) {
      this.flushAfterDispatch = false;
      this.scheduleFlush();
    }
  }

  private dispatchRound(): void {
    if (this.stopped || this.runnable.size === 0) return;
    const ready = [...this.sessions.values()].filter((s) => s.free > 0);
    if (ready.length === 0) return;
    const picks = new Map<number, { queue: string; type: string; priority: number; session: WorkerSession }>();
    const reserved = new Map<WorkerSession, number>();
    let progress = true;
    // Round robin, one job per worker per pass, so that one large worker does not starve the rest.
    while (progress && picks.size < MAX_CLAIMS_PER_ROUND) {
      progress = false;
      for (const session of ready) {
        const taken = reserved.get(session) ?? 0;
        if (session.free - taken <= 0) continue;
        const pick = this.runnable.take(session.queues, session.types, this.paused);
        if (!pick) continue;
        picks.set(pick.id, { queue: pick.queue, type: pick.type, priority: pick.priority, session }); // no spread: see transition()
        reserved.set(session, taken + 1);
        progress = true;
      }
    }
    if (picks.size === 0) return;
    const now = this.now();
    let leased: LeasedJob[];
    try {
      leased = this.store.claim(
        [...picks].map(([id, p]) => ({ id, workerId: p.session.id })),
        now,
      );
    } catch (error) {
      // Put everything back where it was and try again shortly.
      for (const [id, p] of picks) this.runnable.add({ id, queue: p.queue, type: p.type, priority: p.priority, front: true });
      this.options.logger.error({ err: error }, 'dispatch failed: could not record the claims; retrying in 1 s');
      this.dispatchRetryTimer ??= setTimeout(() => {
        this.dispatchRetryTimer = null;
        this.scheduleDispatch();
      }, 1000);
      return;
    }
    const bySession = new Map<WorkerSession, LeasedJob[]>();
    for (const job of leased) {
      const session = picks.get(job.id)!.session;
      session.held.set(job.id, job.attempt);
      this.leases.set(job.id, {
        job,
        session,
        secret: session.secret,
        deadline: now + job.timeoutMs + this.options.timeoutGraceMs,
        orphanDeadline: 0,
      });
      this.counts.move(job.queue, 'queued', 'running');
      const waitMs = Math.max(0, now - Math.max(job.runAt, job.createdAt));
      this.recordWait(now, waitMs);
      this.emit(job.id, job.queue, job.type, 'running', 'queued', job.attempt, session.id, now, null, { waitMs });
      const list = bySession.get(session) ?? [];
      list.push(job);
      bySession.set(session, list);
    }
    for (const [session, jobs] of bySession) session.link.send({ kind: 'assignments', jobs });
    if (this.runnable.size > 0) this.scheduleDispatch();
  }

  // ---------------------------------------------------------------- workers

  /**
   * A worker said Hello. Takes over the id from an older session that is gone, or from a live one
   * when the Hello carries its secret (the same process reconnecting); otherwise throws
   * ALREADY_EXISTS and changes nothing.
   */
  connect(hello: WorkerHello, link: WorkerLink): WorkerSession {
    const now = this.now();
    const secret = hello.sessionSecret ? hashSecret(hello.sessionSecret) : '';
    const previous = this.sessions.get(hello.workerId);
    if (previous && previous.alive && now - previous.judgedFrom <= this.options.heartbeatTimeoutMs && (secret === '' || previous.secret !== secret)) {
      throw idInUse(previous, now);
    }
    const session = new WorkerSession(hello, link, now, secret);
    this.sessions.set(hello.workerId, session);
    if (previous) {
      previous.alive = false;
      previous.link.close();
    }
    if (secret !== '' && secret !== this.knownSecrets.get(hello.workerId)) {
      // Kept in the store so that the leases can be reattached after a master restart.
      try {
        this.store.recordWorkerSecret(hello.workerId, secret, now);
        this.knownSecrets.set(hello.workerId, secret);
      } catch (error) {
        this.options.logger.warn({ err: error, worker: hello.workerId }, 'could not record the worker session');
      }
    }
    const claimed = new Map(hello.held.map((l) => [l.id, l.attempt]));
    const reattached: Lease[] = [];
    const refused: Lease[] = [];
    for (const [id, attempt] of claimed) {
      const lease = this.leases.get(id);
      if (lease && lease.job.attempt === attempt && lease.job.workerId === hello.workerId && secret !== '' && lease.secret === secret) {
        lease.session = session;
        lease.orphanDeadline = 0;
        session.held.set(id, attempt);
        reattached.push({ id, attempt });
      } else {
        refused.push({ id, attempt });
      }
    }
    // Leases of this worker id that the new session could not reattach died with the old process.
    const lost: ActiveLease[] = [];
    for (const lease of this.leases.values()) {
      if (lease.job.workerId === hello.workerId && lease.session !== session) {
        lease.session = null;
        lease.orphanDeadline = now;
        lost.push(lease);
      }
    }
    this.endLeases(lost, { type: 'lost' }, 'lost', 'worker restarted without this job', now);
    link.send({
      kind: 'welcome',
      reattached,
      refused,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
      maxResultBytes: this.options.maxResultBytes,
    });
    this.options.logger.info(
      { worker: hello.workerId, concurrency: hello.concurrency, queues: hello.queues, reattached: reattached.length },
      'worker connected',
    );
    this.scheduleDispatch();
    return session;
  }

  heartbeat(session: WorkerSession, running: RunningReport[]): void {
    session.lastSeen = this.now();
    const updates = running.filter((r) => {
      const lease = this.leases.get(r.id);
      if (!lease || lease.job.attempt !== r.attempt || lease.session !== session || !(r.progress > 0)) return false;
      const progress = `${r.progress}\u0000${r.message}`;
      if (lease.progress === progress) return false;
      lease.progress = progress;
      return true;
    });
    if (updates.length > 0) {
      try {
        this.store.updateProgress(
          updates.map((u) => ({ id: u.id, attempt: u.attempt, progress: Math.min(100, Math.max(0, u.progress)), message: u.message || null })),
          session.lastSeen,
        );
      } catch (error) {
        this.options.logger.warn({ err: error }, 'could not record progress');
      }
    }
  }

  /** The worker will take no more work (it is stopping). */
  drain(session: WorkerSession): void {
    session.lastSeen = this.now();
    session.draining = true;
  }

  /** The worker gives back leases it did not start: they go to the front at once, no failure counted. */
  giveBack(session: WorkerSession, returned: Lease[]): void {
    const now = this.now();
    session.lastSeen = now;
    const leases: ActiveLease[] = [];
    for (const { id, attempt } of returned) {
      if (session.held.get(id) === attempt) session.held.delete(id);
      const lease = this.leases.get(id);
      if (lease && lease.job.attempt === attempt && lease.session === session) leases.push(lease);
    }
    this.endLeases(leases, { type: 'return' }, 'returned', null, now);
  }

  /** The stream ended. Its leases wait one heartbeat timeout for the worker to come back. */
  disconnect(session: WorkerSession): void {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    session.alive = false;
    for (const lease of this.leases.values()) {
      if (lease.session === session) {
        lease.session = null;
        lease.orphanDeadline = session.judgedFrom + this.options.heartbeatTimeoutMs;
      }
    }
    this.options.logger.info({ worker: session.id, holding: session.held.size }, 'worker disconnected');
  }

  /** Results from a worker: fenced in memory now, written in the next group commit. */
  results(session: WorkerSession, results: WorkerResult[]): void {
    const now = this.now();
    session.lastSeen = now;
    const refusals: ResultAck[] = [];
    for (const reported of results) {
      const r = withinLimits(reported, this.options.maxResultBytes);
      if (session.held.get(r.id) === r.attempt) session.held.delete(r.id);
      const lease = this.leases.get(r.id);
      const holder =
        lease && (lease.session === session || (lease.session === null && lease.job.workerId === session.id && session.secret !== '' && lease.secret === session.secret));
      if (!lease || lease.job.attempt !== r.attempt || !holder) {
        refusals.push({ id: r.id, attempt: r.attempt, accepted: false, reason: 'stale lease: the attempt was already ended' });
        continue;
      }
      const event = eventFor(r, this.random());
      const next = transition(stateOf(lease.job, 'running'), event, now);
      this.pendingEnds.push({
        lease,
        session,
        startedAt: r.startedAt || lease.job.startedAt,
        end: {
          id: r.id,
          attempt: r.attempt,
          status: next.status,
          failures: next.failures,
          runAt: next.runAt,
          front: next.front,
          outcome: r.outcome as AttemptOutcome,
          error: r.outcome === 'completed' ? null : r.error || r.outcome,
          result: r.outcome === 'completed' ? r.result : null,
          resultContentType: r.outcome === 'completed' ? r.contentType || null : null,
          at: now,
          workerId: lease.job.workerId,
          startedAt: lease.job.startedAt,
        },
      });
    }
    if (refusals.length > 0) session.link.send({ kind: 'acks', acks: refusals });
    // The freed slots are refilled first and the results are committed one turn later, after the
    // new assignments have left: the worker runs its next jobs while the master commits these
    // (the worker needs their acks only to forget them). Without this, master and worker take
    // turns, each waiting for the other.
    this.flushAfterDispatch = true;
    this.scheduleDispatch();
  }

  private flushEnds(): void {
    const batch = this.pendingEnds;
    this.pendingEnds = [];
    let applied: boolean[];
    try {
      applied = this.store.endAttempts(batch.map((p) => p.end));
    } catch (error) {
      // Not acknowledged: the workers keep these results and send them again.
      this.options.logger.error({ err: error, results: batch.length }, 'could not record results; workers will resend');
      return;
    }
    const acks = new Map<WorkerSession, ResultAck[]>();
    batch.forEach((p, i) => {
      const ok = applied[i];
      if (ok) this.afterEnd(p.lease, p.end, p.startedAt);
      if (p.session) {
        const list = acks.get(p.session) ?? [];
        list.push({ id: p.end.id, attempt: p.end.attempt, accepted: ok, reason: ok ? '' : 'stale lease: the attempt was already ended' });
        acks.set(p.session, list);
        if (ok) p.session.jobsDone++;
      }
    });
    for (const [session, list] of acks) if (session.alive) session.link.send({ kind: 'acks', acks: list });
  }

  /** In-memory bookkeeping after an attempt end was committed. */
  private afterEnd(lease: ActiveLease, end: AttemptEnd, startedAt: number): void {
    const job = lease.job;
    if (this.leases.get(job.id) === lease) this.leases.delete(job.id);
    this.counts.move(job.queue, 'running', end.status);
    if (isTerminal(end.status)) this.finishedTotal++;
    if (end.status === 'queued') {
      this.runnable.add({ id: job.id, queue: job.queue, type: job.type, priority: job.priority, front: end.front });
      this.scheduleDispatch();
    } else if (end.status === 'retrying' && (this.dueAt === null || end.runAt < this.dueAt)) {
      this.armDueTimer(end.runAt);
    }
    this.emit(job.id, job.queue, job.type, end.status, 'running', end.attempt, job.workerId, end.at, end.error, {
      durationMs: Math.max(0, end.at - startedAt),
    });
  }

  /** Ends leases the master itself decided on (lost worker, timeout, cancel, return). */
  private endLeases(leases: ActiveLease[], event: JobEvent, outcome: AttemptOutcome, error: string | null, now: number): void {
    if (leases.length === 0) return;
    const ends = leases.map((lease): AttemptEnd => {
      const next = transition(stateOf(lease.job, 'running'), event.type === 'timeout' ? { type: 'timeout', jitter: this.random() } : event, now);
      return {
        id: lease.job.id,
        attempt: lease.job.attempt,
        status: next.status,
        failures: next.failures,
        runAt: next.runAt,
        front: next.front,
        outcome,
        error,
        result: null,
        resultContentType: null,
        at: now,
        workerId: lease.job.workerId,
        startedAt: lease.job.startedAt,
      };
    });
    let applied: boolean[];
    try {
      applied = this.store.endAttempts(ends);
    } catch (err) {
      // Left in place: the sweep tries again.
      this.options.logger.error({ err, leases: ends.length }, `could not record ${outcome} attempts; will retry`);
      return;
    }
    ends.forEach((end, i) => {
      const lease = leases[i];
      if (applied[i]) this.afterEnd(lease, end, lease.job.startedAt);
      else if (this.leases.get(end.id) === lease) this.leases.delete(end.id);
    });
  }

  // ---------------------------------------------------------------- timers

  /** Declares silent workers dead, ends orphaned and timed-out attempts. */
  sweep(): void {
    if (this.stopped) return;
    const now = this.now();
    const at = performance.now();
    const late = this.sweepEveryMs > 0 ? at - this.lastSweepAt - this.sweepEveryMs : 0;
    this.lastSweepAt = at;
    if (late >= STALL_MS) this.afterStall(Math.round(late), now);
    for (const session of [...this.sessions.values()]) {
      if (now - session.judgedFrom <= this.options.heartbeatTimeoutMs) continue;
      this.options.logger.warn({ worker: session.id, silentMs: now - session.lastSeen, holding: session.held.size }, 'worker declared dead: heartbeat timeout');
      this.sessions.delete(session.id);
      session.alive = false;
      session.link.close();
      for (const lease of this.leases.values()) {
        if (lease.session !== session) continue;
        lease.session = null;
        lease.orphanDeadline = now;
      }
      this.onWorkerDead?.(session);
    }
    const lost: ActiveLease[] = [];
    const timedOut: ActiveLease[] = [];
    for (const lease of this.leases.values()) {
      if (lease.session === null && lease.orphanDeadline <= now) lost.push(lease);
      else if (lease.deadline <= now) timedOut.push(lease);
    }
    this.endLeases(lost, { type: 'lost' }, 'lost', 'worker lost (heartbeat timeout)', now);
    this.endLeases(timedOut, { type: 'timeout', jitter: 0 }, 'timeout', 'attempt timed out (the worker did not report in time)', now);
    for (const lease of timedOut) {
      lease.session?.link.send({ kind: 'cancel', leases: [{ id: lease.job.id, attempt: lease.job.attempt }], reason: 'timeout' });
    }
  }

  /** The master was not running for `stalledMs`: nobody is judged on time it did not watch. */
  private afterStall(stalledMs: number, now: number): void {
    this.options.logger.warn(
      { stalledMs, workers: this.sessions.size },
      'the master was stalled (its timers fired late); every worker gets a fresh heartbeat window',
    );
    for (const session of this.sessions.values()) session.stallEndedAt = now;
    for (const lease of this.leases.values()) {
      lease.deadline += stalledMs;
      if (lease.session === null) lease.orphanDeadline = Math.max(lease.orphanDeadline, now + this.options.heartbeatTimeoutMs);
    }
  }

  /** Called when a worker is declared dead (metrics). */
  onWorkerDead?: (session: WorkerSession) => void;

  private armDueTimer(at?: number): void {
    if (this.stopped) return;
    const next = at ?? this.store.nextDueAt();
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueTimer = null;
    this.dueAt = next;
    if (next === null) return;
    const delay = Math.min(Math.max(0, next - this.now()), 2 ** 31 - 1);
    this.dueTimer = setTimeout(() => this.promoteDue(), delay);
    this.dueTimer.unref();
  }

  /** Moves due scheduled and retrying jobs to queued. Public so tests with a fake clock can call it. */
  promoteDue(): void {
    this.dueTimer = null;
    this.dueAt = null;
    if (this.stopped) return;
    const now = this.now();
    let changes: StatusChange[];
    try {
      changes = this.store.promoteDue(now, PROMOTE_BATCH);
    } catch (error) {
      this.options.logger.error({ err: error }, 'could not promote due jobs; retrying in 1 s');
      this.armDueTimer(now + 1000);
      return;
    }
    for (const c of changes) {
      this.counts.move(c.queue, c.from, 'queued');
      this.runnable.add({ id: c.id, queue: c.queue, type: c.type, priority: c.priority, front: false });
      this.emit(c.id, c.queue, c.type, 'queued', c.from, 0, null, now, null);
    }
    // A full batch means more are due: continue on the next turn, so dispatch is never stalled.
    this.armDueTimer(changes.length === PROMOTE_BATCH ? now : undefined);
    this.scheduleDispatch();
  }

  // ---------------------------------------------------------------- operations on one job

  /** Cancels a running job: recorded at once; the worker is told to abort; its late result is refused. */
  cancelRunning(id: number): boolean {
    const lease = this.leases.get(id);
    if (!lease) return false;
    const now = this.now();
    this.endLeases([lease], { type: 'cancel' }, 'cancelled', 'cancelled', now);
    lease.session?.link.send({ kind: 'cancel', leases: [{ id, attempt: lease.job.attempt }], reason: 'cancelled' });
    return true;
  }

  /** Records a status change made directly in the store (cancel or re-drive of a job not running). */
  applyStatusChange(change: { id: number; queue: string; type: string; priority: number; from: JobStatus; to: JobStatus }): void {
    const now = this.now();
    if (change.from === 'queued') this.runnable.remove(change);
    this.counts.move(change.queue, change.from, change.to);
    if (change.to === 'queued') {
      this.runnable.add({ id: change.id, queue: change.queue, type: change.type, priority: change.priority, front: false });
      this.scheduleDispatch();
    }
    if (isTerminal(change.to)) this.finishedTotal++;
    this.emit(change.id, change.queue, change.type, change.to, change.from, 0, null, now, null);
  }

  setPaused(queue: string, paused: boolean): void {
    this.store.setPaused(queue, paused);
    if (paused) this.paused.add(queue);
    else this.paused.delete(queue);
    if (!paused) this.scheduleDispatch();
  }

  isRunningLease(id: number): boolean {
    return this.leases.has(id);
  }

  /** Progress of running attempts is in the store; this is the count of active leases. */
  get activeLeases(): number {
    return this.leases.size;
  }

  queueWaitPercentiles(): { p50: number; p95: number } {
    const cutoff = this.now() - QUEUE_WAIT_WINDOW_MS;
    while (this.waits.length > 0 && this.waits[0][0] < cutoff) this.waits.shift();
    if (this.waits.length === 0) return { p50: 0, p95: 0 };
    const sorted = this.waits.map((w) => w[1]).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { p50: at(0.5), p95: at(0.95) };
  }

  private recordWait(now: number, waitMs: number): void {
    if (this.waits.length >= 4096) this.waits.shift();
    this.waits.push([now, waitMs]);
  }

  private random(): number {
    return (this.options.random ?? Math.random)();
  }

  private emit(
    id: number,
    queue: string,
    type: string,
    status: JobStatus,
    previous: JobStatus | null,
    attempt: number,
    workerId: string | null,
    at: number,
    error: string | null,
    extra?: Pick<JobChange, 'waitMs' | 'durationMs'>,
  ): void {
    if (!this.events.listening) return;
    this.events.emit({ id, queue, type, status, previous, attempt, workerId, at, error, ...extra });
  }
}

/**
 * A completed result over the limits is stored as a fatal failure instead, as the worker itself
 * does when it knows the limit: the same handler would produce it again, so no retry.
 */
function withinLimits(r: WorkerResult, maxResultBytes: number): WorkerResult {
  if (r.outcome !== 'completed') return r;
  let problem: string | null = null;
  if (r.result && r.result.byteLength > maxResultBytes) {
    problem = `result: ${r.result.byteLength} bytes is over the limit of ${maxResultBytes} bytes (--max-payload)`;
  } else if (r.contentType.length > JOB_LIMITS.maxContentTypeLength) {
    problem = `result.content_type: must be at most ${JOB_LIMITS.maxContentTypeLength} characters (got ${r.contentType.length})`;
  }
  return problem ? { ...r, outcome: 'fatal', result: null, contentType: '', error: problem } : r;
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** The refusal of a second live process for an id; the worker treats it as permanent. */
function idInUse(holder: WorkerSession, now: number): NucleusError {
  const { workerId, pid, hostname } = holder.hello;
  const ago = Math.max(0, Math.round((now - holder.connectedAt) / 1000));
  return new NucleusError(
    ErrorCode.AlreadyExists,
    `worker id "${workerId}" is in use by pid ${pid} on host ${hostname || 'unknown'} (connected ${ago}s ago); give this worker another --id, or stop that one`,
  );
}

function eventFor(result: WorkerResult, jitter: number): JobEvent {
  switch (result.outcome) {
    case 'completed':
      return { type: 'succeed' };
    case 'fatal':
      return { type: 'fatal' };
    case 'timeout':
      return { type: 'timeout', jitter };
    case 'cancelled':
      // The worker aborted on its own (e.g. shutting down past its grace): the attempt failed.
      return { type: 'error', jitter };
    default:
      return { type: 'error', jitter };
  }
}
