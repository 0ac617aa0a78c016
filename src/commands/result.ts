import { Args, Flags } from '@oclif/core';
import { ClientCommand } from './base.js';
import { ExitCode } from './exit-codes.js';
import { jobJson, jobText } from '../services/job-view.js';
import { parseJobId } from '../core/validation.js';
import { durationSetting } from '../config.js';

export class Result extends ClientCommand {
  static override summary = "Print a finished job's result (exit 1 if it failed); --wait waits for it.";
  static override examples = ['<%= config.bin %> result 42', '<%= config.bin %> result 42 --wait --wait-timeout 1m'];
  static override args = { id: Args.string({ required: true, description: 'Job id.' }) };
  static override flags = {
    wait: Flags.boolean({ char: 'w', summary: 'Wait until the job finishes.' }),
    'wait-timeout': Flags.string({ summary: 'How long --wait waits. Default: 5m.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Result);
    parseJobId(args.id, 'id');
    const waitMs = flags.wait ? durationSetting(flags['wait-timeout'], 300_000, '--wait-timeout') : 0;
    const { job, finished } = await this.client(flags).call(
      'getJobResult',
      { jobId: args.id, wait: flags.wait, waitTimeoutMs: waitMs },
      waitMs + 10_000,
    );
    const view = jobJson(job!);
    this.print({ ...view, finished }, () => (view.status === 'completed' ? JSON.stringify(view.result) : jobText(job!)));
    if (!finished) {
      if (!this.jsonOutput) process.stderr.write(`nucleus: job ${args.id} has not finished (${view.status})\n`);
      process.exitCode = ExitCode.Failed;
    } else if (view.status !== 'completed') process.exitCode = ExitCode.Failed;
  }
}
