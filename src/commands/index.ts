/**
 * Every command, for oclif's explicit strategy: no directory scan at start-up, and a bundler can
 * follow the imports into one file.
 */
import { Bench } from './bench.js';
import { Cancel } from './cancel.js';
import { Dev } from './dev.js';
import { List } from './list.js';
import { Master } from './master.js';
import { Pause, Resume } from './pause.js';
import { Result } from './result.js';
import { Retry } from './retry.js';
import { Stats } from './stats.js';
import { Status } from './status.js';
import { Submit } from './submit.js';
import { Top } from './top.js';
import { Worker } from './worker.js';

export const COMMANDS = {
  bench: Bench,
  master: Master,
  worker: Worker,
  dev: Dev,
  submit: Submit,
  status: Status,
  result: Result,
  cancel: Cancel,
  retry: Retry,
  list: List,
  stats: Stats,
  top: Top,
  pause: Pause,
  resume: Resume,
};
