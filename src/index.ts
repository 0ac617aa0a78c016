/**
 * The `nucleus` package, for handler modules and programs that embed a client.
 */
export { NonRetryableError, PayloadError } from './handlers/handler.js';
export type { Handler, HandlerContext, HandlerMap } from './handlers/handler.js';
export { MasterClient } from './rpc/client.js';
export { NucleusError, ErrorCode } from './errors.js';
