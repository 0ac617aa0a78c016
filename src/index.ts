/**
 * The `nucleus` package: a typed Client, an embeddable Worker, typed handlers, and the errors.
 * Handler modules loaded by `nucleus worker` import from here too.
 */
export { NonRetryableError, PayloadError } from './handlers/handler.js';
export type { Handler, HandlerContext, HandlerMap } from './handlers/handler.js';
export { defineHandler } from './lib/define-handler.js';
export type { DefinedHandler, HandlerDefinition, PayloadOf, ResultOf } from './lib/define-handler.js';
export { Client } from './lib/client.js';
export type { ClientOptions, JobResult, ListFilter, ResultOptions, Stats } from './lib/client.js';
export type { JobAttemptInfo, JobEventInfo, JobInfo, JobStatus, SubmitOptions, Submitted } from './lib/job-info.js';
export { Master } from './lib/master.js';
export type { MasterEvents, MasterOptions } from './lib/master.js';
export { Worker } from './lib/worker.js';
export type { WorkerEvents, WorkerOptions } from './lib/worker.js';
export type { Isolation } from './worker/isolation-mode.js';
export { MasterClient } from './rpc/client.js';
export { NucleusError, ErrorCode } from './errors.js';
