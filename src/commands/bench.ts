import { Flags } from '@oclif/core';
import { ClientCommand } from './base.js';
import { resolveClientConfig, durationSetting } from '../config.js';
import { BENCH_TYPES, MAX_BATCH, parseMix, runBench } from '../services/bench.js';
import { reportText } from '../bench/report.js';

export class Bench extends ClientCommand {
  static override summary = 'Measure throughput and latency (p50/p95/p99) of submits and of submit->completed.';
  static override examples = [
    '<%= config.bin %> bench --spawn --jobs 20000 --concurrency 64',
    '<%= config.bin %> bench --spawn --warmup 5000 --jobs 20000 --batch 1000 --concurrency 1',
    '<%= config.bin %> bench --spawn --deployment inproc --jobs 20000 --batch 1000 --concurrency 1',
    '<%= config.bin %> bench --master 10.0.0.5:50051 --rate 500 --jobs 10000 --json',
    '<%= config.bin %> bench --spawn --type sleep --duration-ms 50 --mix 8:1:1 --workers 2',
  ];
  static override flags = {
    spawn: Flags.boolean({ summary: 'Start a master and workers in temporary storage for the run, instead of using --master.' }),
    deployment: Flags.string({ summary: 'With --spawn: inproc (master and workers in this process, like `nucleus dev`) or procs (separate processes).', options: ['inproc', 'procs'], default: 'procs' }),
    workers: Flags.integer({ summary: 'With --spawn: worker count.', default: 1, min: 1, max: 64 }),
    'worker-concurrency': Flags.integer({ summary: 'With --spawn: concurrency of each worker.', default: 64, min: 1, max: 1024 }),
    sync: Flags.string({ summary: 'With --spawn: the master\'s --sync (normal or full).', options: ['normal', 'full'], default: 'normal' }),
    jobs: Flags.integer({ char: 'n', summary: 'Jobs to submit.', default: 10_000, min: 1 }),
    warmup: Flags.integer({ summary: 'Send this many jobs first, the same way, and wait for them; they are left out of every figure, so that no process is measured while it is still compiling its code.', default: 0, min: 0 }),
    concurrency: Flags.integer({ char: 'c', summary: 'Closed loop: calls in flight.', default: 64, min: 1, max: 10_000, exclusive: ['rate'] }),
    rate: Flags.integer({ char: 'r', summary: 'Open loop: jobs per second, offered on schedule whatever the answers.', min: 1 }),
    batch: Flags.integer({ char: 'b', summary: `Jobs per submit call (the client's submitMany() when over 1; at most ${MAX_BATCH}).`, default: 1, min: 1, max: MAX_BATCH }),
    coalesce: Flags.boolean({ summary: 'With --batch 1: submit through the client\'s submit(), which sends the submits made together as one batch on its SubmitStream; --no-coalesce makes one SubmitJob call per job. Default: on.', default: true, allowNo: true }),
    type: Flags.string({ char: 't', summary: `Job type: ${BENCH_TYPES.join(', ')} or your own.`, default: 'noop' }),
    'duration-ms': Flags.integer({ summary: 'For --type sleep: how long each job runs, ms.', default: 100, min: 0 }),
    payload: Flags.string({ summary: 'Payload of every job (JSON); overrides the one built from --type.' }),
    mix: Flags.string({ summary: 'Call mix submit:status:result, e.g. 8:1:1 (reads pick recent jobs).', default: '1:0:0' }),
    queue: Flags.string({ char: 'q', summary: 'Queue of the bench jobs.', default: 'default' }),
    observe: Flags.string({ summary: 'How completion is seen: events (one WatchEvents stream) or results (GetJobResult wait per job).', options: ['events', 'results'], default: 'events' }),
    'submit-only': Flags.boolean({ summary: 'Submit and report; do not wait for the jobs to finish.' }),
    'stall-timeout': Flags.string({ summary: 'Stop waiting for completions after this long without one. Default: 60s.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Bench);
    const client = resolveClientConfig({ ...flags, master: flags.master, timeout: flags['rpc-timeout'] });
    const report = await runBench({
      master: client.master,
      security: { token: client.token, tls: client.tls },
      spawn: flags.spawn ? { kind: flags.deployment as 'inproc' | 'procs', workers: flags.workers, workerConcurrency: flags['worker-concurrency'], sync: flags.sync as 'normal' | 'full' } : null,
      jobs: flags.jobs,
      warmup: flags.warmup,
      concurrency: flags.concurrency,
      rate: flags.rate ?? null,
      batch: flags.batch,
      coalesce: flags.coalesce,
      type: flags.type,
      durationMs: flags['duration-ms'],
      payload: flags.payload,
      mix: parseMix(flags.mix),
      queue: flags.queue,
      observe: flags['submit-only'] ? 'none' : (flags.observe as 'events' | 'results'),
      stallMs: durationSetting(flags['stall-timeout'], 60_000, '--stall-timeout'),
      rpcTimeoutMs: client.timeoutMs,
      progress: true,
    });
    this.print(report, () => reportText(report));
    if (report.submit.errors > 0 || (report.completion && report.completion.missing > 0)) process.exitCode = 1;
  }
}
