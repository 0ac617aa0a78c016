/**
 * Exit codes of every command, in one table (also shown in `--help`).
 */
import { ErrorCode, type NucleusError } from '../errors.js';

export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** The job ended failed, dead_letter or cancelled (with --wait), or the operation was refused. */
  Failed: 1,
  /** Usage error: a bad flag, argument or value. */
  Usage: 2,
  /** The master could not be reached, or did not answer in time. */
  Unreachable: 3,
  /** No such job. */
  NotFound: 4,
  /** Refused for good: the store is in use by another process, or the master refuses this worker. Restarting cannot help. */
  Refused: 5,
} as const;

export const EXIT_CODES_HELP = `EXIT CODES
  0  ok
  1  the job failed (with --wait), or the request was refused
  2  usage error: a bad flag, argument or value
  3  the master could not be reached or did not answer in time
  4  no such job
  5  refused for good: the store is in use, or the master refuses this worker`;

export function exitCodeFor(error: NucleusError): number {
  switch (error.code) {
    case ErrorCode.InvalidArgument:
    case ErrorCode.ResourceExhausted:
      return ExitCode.Usage;
    case ErrorCode.Unavailable:
    case ErrorCode.DeadlineExceeded:
      return ExitCode.Unreachable;
    case ErrorCode.NotFound:
      return ExitCode.NotFound;
    case ErrorCode.Refused:
      return ExitCode.Refused;
    default:
      return ExitCode.Failed;
  }
}
