import { Args, Flags } from '@oclif/core';
import { ClientCommand } from './base.js';
import { parseJobId, parseStatus } from '../core/validation.js';
import { statusToProto } from '../rpc/convert.js';
import { invalidArgument } from '../errors.js';

export class Retry extends ClientCommand {
  static override summary = 'Re-drive a failed, dead-letter or cancelled job (or all of them) back to queued; history is kept.';
  static override examples = ['<%= config.bin %> retry 42', '<%= config.bin %> retry --status dead_letter --queue emails'];
  static override args = { id: Args.string({ description: 'Job id.' }) };
  static override flags = {
    status: Flags.string({ summary: 'Retry every job with this status: failed, dead_letter or cancelled.' }),
    queue: Flags.string({ char: 'q', summary: 'With --status: only this queue.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Retry);
    if (args.id && flags.status) throw invalidArgument('--status', 'give a job id or --status, not both');
    if (!args.id && !flags.status) throw invalidArgument('id', 'give a job id, or --status failed|dead_letter|cancelled');
    if (args.id) parseJobId(args.id, 'id');
    const { jobIds } = await this.client(flags).call('retryJob', {
      jobId: args.id ?? '',
      status: flags.status ? statusToProto(parseStatus(flags.status, '--status')) : 0,
      queue: flags.queue ?? '',
    });
    this.print({ retried: jobIds.length, jobIds }, () => (args.id ? `job ${args.id} queued again` : `${jobIds.length} jobs queued again`));
  }
}
