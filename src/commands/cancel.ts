import { Args } from '@oclif/core';
import { ClientCommand } from './base.js';
import { jobJson } from '../services/job-view.js';
import { parseJobId } from '../core/validation.js';

export class Cancel extends ClientCommand {
  static override summary = 'Cancel a job that is queued, scheduled, retrying or running.';
  static override examples = ['<%= config.bin %> cancel 42'];
  static override args = { id: Args.string({ required: true, description: 'Job id.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Cancel);
    parseJobId(args.id, 'id');
    const { job } = await this.client(flags).call('cancelJob', { jobId: args.id });
    this.print(jobJson(job!), () => `job ${args.id} cancelled`);
  }
}
