import { Args } from '@oclif/core';
import { ClientCommand } from './base.js';
import { setQueuePaused } from '../services/pause.js';

const queueArg = () =>
  Args.string({
    required: true,
    description: 'Queue name. A queue the master holds no job of is paused or resumed all the same (work can be staged), with a warning on stderr; the exit code stays 0.',
  });

export class Pause extends ClientCommand {
  static override summary = 'Pause a queue: it keeps accepting jobs but dispatches none until resumed.';
  static override args = { queue: queueArg() };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Pause);
    const outcome = await setQueuePaused(this.client(flags), args.queue, true);
    this.warning(outcome.warning);
    this.print(outcome, () => `queue ${outcome.queue} paused`);
  }
}

export class Resume extends ClientCommand {
  static override summary = 'Resume a paused queue.';
  static override args = { queue: queueArg() };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Resume);
    const outcome = await setQueuePaused(this.client(flags), args.queue, false);
    this.warning(outcome.warning);
    this.print(outcome, () => `queue ${outcome.queue} resumed`);
  }
}
