import { Flags } from '@oclif/core';
import { ClientCommand } from './base.js';
import { JOB_ROW_HEADER, jobJson, jobRow } from '../services/job-view.js';
import { listJobs } from '../services/list.js';

export class List extends ClientCommand {
  static override summary = 'List jobs, filtered and paged.';
  static override examples = [
    '<%= config.bin %> list --status running',
    '<%= config.bin %> list --status failed,dead_letter --queue emails --limit 100',
    '<%= config.bin %> list --all --json',
  ];
  static override flags = {
    status: Flags.string({ char: 's', summary: 'Only these statuses (comma-separated).' }),
    queue: Flags.string({ char: 'q', summary: 'Only this queue.' }),
    type: Flags.string({ char: 't', summary: 'Only this job type.' }),
    worker: Flags.string({ summary: 'Only jobs held (or last held) by this worker.' }),
    limit: Flags.integer({ char: 'n', summary: 'Jobs per page, 1..1000. Default: 50.', min: 1, max: 1000 }),
    'page-token': Flags.string({ summary: 'Continue from a previous page.' }),
    all: Flags.boolean({ summary: 'Fetch every page.' }),
    newest: Flags.boolean({ summary: 'Newest first.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(List);
    const page = await listJobs(this.client(flags), {
      statuses: flags.status ? flags.status.split(',').map((s) => s.trim()) : [],
      queue: flags.queue,
      type: flags.type,
      workerId: flags.worker,
      limit: flags.limit ?? 50,
      pageToken: flags['page-token'],
      all: flags.all,
      newestFirst: flags.newest,
      onPage: this.jsonOutput ? undefined : (jobs, first) => {
        if (first) process.stdout.write(`${JOB_ROW_HEADER}\n`);
        for (const job of jobs) process.stdout.write(`${jobRow(job)}\n`);
      },
    });
    if (this.jsonOutput) {
      this.print({ jobs: page.jobs.map(jobJson), nextPageToken: page.nextPageToken || null }, () => '');
    } else if (page.nextPageToken) {
      process.stdout.write(`next page: --page-token ${page.nextPageToken}\n`);
    } else if (page.count === 0) {
      process.stdout.write('no jobs\n');
    }
  }
}
