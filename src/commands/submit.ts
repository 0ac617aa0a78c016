import { Args, Flags } from '@oclif/core';
import { ClientCommand } from './base.js';
import { ExitCode } from './exit-codes.js';
import { submit, type SubmitHooks } from '../services/submit.js';
import { jobJson, jobText } from '../services/job-view.js';
import { durationSetting } from '../config.js';

export class Submit extends ClientCommand {
  static override summary = 'Submit a job; prints its id (or, with --wait, its result).';
  static override examples = [
    '<%= config.bin %> submit fibonacci 30 --wait',
    `<%= config.bin %> submit echo '{"message":"hi"}' --queue emails --priority 0`,
    '<%= config.bin %> submit sleep \'{"duration":5}\' --delay 1m --retries 5 --backoff 2s,10m',
    '<%= config.bin %> submit transcode --payload-file clip.mp4 --content-type video/mp4 --key clip-42',
  ];
  static override args = {
    type: Args.string({ required: true, description: 'Job type, e.g. fibonacci, sleep, echo, or one of your handlers.' }),
    payload: Args.string({ description: 'Payload: JSON. Text that does not start with {, [ or " (a bare word) is sent as a JSON string; text that does must parse.' }),
  };
  static override flags = {
    payload: Flags.string({ char: 'p', summary: 'Payload (same as the positional argument).', exclusive: ['payload-file'] }),
    'payload-file': Flags.string({ summary: 'Read the payload from a file (bytes).' }),
    'content-type': Flags.string({ summary: 'Payload content type. Default: application/json.' }),
    queue: Flags.string({ char: 'q', summary: 'Queue. Default: default.' }),
    priority: Flags.integer({ summary: 'Priority 0..10; 0 runs first. Default: 5.', min: 0, max: 10 }),
    retries: Flags.integer({ summary: 'Retries after a failed attempt. Default: 3.', min: 0, max: 100 }),
    timeout: Flags.string({ summary: 'Timeout per attempt, e.g. 30s (alias --deadline). Default: the master\'s, 30s.', aliases: ['deadline'] }),
    delay: Flags.string({ summary: 'Run after this delay, e.g. 30s.', exclusive: ['at'] }),
    at: Flags.string({ summary: 'Run at this ISO 8601 time.' }),
    key: Flags.string({ summary: 'Idempotency key: a second submit with the same key returns the first job.' }),
    backoff: Flags.string({ summary: 'Retry backoff base[,cap], e.g. 1s,1h (the default).' }),
    wait: Flags.boolean({ char: 'w', summary: 'Wait for the job to finish and print its result.' }),
    'wait-timeout': Flags.string({ summary: 'How long --wait waits. Default: 5m.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Submit);
    const outcome = await submit(this.client(flags), {
      type: args.type,
      payload: flags.payload ?? args.payload,
      payloadFile: flags['payload-file'],
      contentType: flags['content-type'],
      queue: flags.queue,
      priority: flags.priority,
      retries: flags.retries,
      timeout: flags.timeout,
      delay: flags.delay,
      at: flags.at,
      key: flags.key,
      backoff: flags.backoff,
      wait: flags.wait,
      waitTimeoutMs: durationSetting(flags['wait-timeout'], 300_000, '--wait-timeout'),
    }, { ...(flags.wait ? waitNotes() : {}), onWarning: (warning) => this.warning(warning) });
    if (!outcome.job) {
      this.print(
        { id: outcome.jobId, status: outcome.status, duplicate: outcome.duplicate, ...(outcome.warning ? { warning: outcome.warning } : {}) },
        () => (this.argv.includes('--quiet') ? outcome.jobId : `${outcome.jobId}${outcome.duplicate ? ' (existing job with this key)' : ''}`),
      );
      return;
    }
    const job = jobJson(outcome.job);
    this.print({ ...job, finished: outcome.finished }, () => (job.status === 'completed' ? JSON.stringify(job.result) : jobText(outcome.job!)));
    if (!outcome.finished) {
      process.stderr.write(`nucleus: job ${outcome.jobId} has not finished yet (${job.status}); waited ${flags['wait-timeout'] ?? '5m'}\n`);
      process.exitCode = ExitCode.Failed;
    } else if (job.status !== 'completed') process.exitCode = ExitCode.Failed;
  }
}

/** With --wait, stderr names the job as soon as it exists, and says when the wait outlives a lost master. */
function waitNotes(): SubmitHooks {
  let away = false;
  return {
    onAccepted: (jobId, duplicate) => process.stderr.write(`nucleus: job ${jobId} ${duplicate ? 'exists (same key)' : 'submitted'}; waiting for it to finish\n`),
    onRetry: (error) => {
      if (away) return;
      away = true;
      process.stderr.write(`nucleus: lost the master while waiting (${error.message}); still waiting\n`);
    },
  };
}
