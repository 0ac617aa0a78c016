import { Args } from '@oclif/core';
import { ClientCommand } from './base.js';

export class Pause extends ClientCommand {
  static override summary = 'Pause a queue: it keeps accepting jobs but dispatches none until resumed.';
  static override args = { queue: Args.string({ required: true, description: 'Queue name.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Pause);
    await this.client(flags).call('pauseQueue', { queue: args.queue, paused: true });
    this.print({ queue: args.queue, paused: true }, () => `queue ${args.queue} paused`);
  }
}

export class Resume extends ClientCommand {
  static override summary = 'Resume a paused queue.';
  static override args = { queue: Args.string({ required: true, description: 'Queue name.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Resume);
    await this.client(flags).call('pauseQueue', { queue: args.queue, paused: false });
    this.print({ queue: args.queue, paused: false }, () => `queue ${args.queue} resumed`);
  }
}
