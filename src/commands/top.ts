import { Flags } from '@oclif/core';
import { ClientCommand } from './base.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { snapshotJson, snapshotText, topSnapshot, watchTop } from '../services/top.js';
import { JOB_TABS, JOBS_PAGE_LIMIT } from '../tui/model.js';

export class Top extends ClientCommand {
  static override summary = 'Watch the cluster live (queues, workers, jobs) and cancel, retry or pause from the keyboard.';
  static override description = `Press ? inside for the keys. Without a terminal (or with --once / --json) it prints one snapshot and exits.\n\n${EXIT_CODES_HELP}`;
  static override examples = ['<%= config.bin %> top', '<%= config.bin %> top --master 10.0.0.5:50051', '<%= config.bin %> top --once --status failed', '<%= config.bin %> top --once --json'];
  static override flags = {
    once: Flags.boolean({ summary: 'Print one snapshot and exit (the default when stdout or stdin is not a terminal).' }),
    status: Flags.string({ summary: 'Jobs listed in the snapshot.', options: [...JOB_TABS], default: 'running' }),
    limit: Flags.integer({ char: 'n', summary: `Jobs listed in the snapshot, 1..${JOBS_PAGE_LIMIT}.`, min: 1, max: JOBS_PAGE_LIMIT, default: 20 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Top);
    const client = this.client(flags);
    // Interactive only with a terminal at both ends: pipes and redirects get a snapshot.
    const live = !flags.once && !this.jsonOutput && process.stdout.isTTY && process.stdin.isTTY;
    if (live) {
      await watchTop(client);
      return;
    }
    const snapshot = await topSnapshot(client, { status: flags.status as (typeof JOB_TABS)[number], limit: flags.limit });
    const text = this.jsonOutput ? '' : await snapshotText(snapshot, process.stdout.columns || 160);
    this.print(snapshotJson(snapshot), () => text);
  }
}
