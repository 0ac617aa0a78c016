import { Args } from '@oclif/core';
import { ClientCommand } from './base.js';
import { jobJson, jobText } from '../services/job-view.js';
import { parseJobId } from '../core/validation.js';

export class Status extends ClientCommand {
  static override summary = "Show a job: status, attempts, progress, result or error.";
  static override examples = ['<%= config.bin %> status 42', '<%= config.bin %> status 42 --json'];
  static override args = { id: Args.string({ required: true, description: 'Job id.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Status);
    parseJobId(args.id, 'id');
    const { job } = await this.client(flags).call('getJobStatus', { jobId: args.id });
    this.print(jobJson(job!), () => jobText(job!));
  }
}
