/**
 * The job-id high-water mark: a small file beside the store, `<store>-ids`, holding a number no
 * job id handed out so far exceeds. It exists because the id sequence lives in the store itself:
 * when the `-wal` file is deleted after a crash (the operator destroying acknowledged jobs), the
 * sequence goes back with the rest, and the next jobs would get ids that were already given to
 * other jobs, so an acknowledged id would name another job.
 *
 * Why a mark and not a refusal to start: a mark lets the master start at once on what is left,
 * never reusing an id, where a refusal would leave the operator who deleted the WAL stuck. Ids
 * are reserved in blocks of ID_BLOCK: the mark is rewritten (a small file written and renamed,
 * fsynced with `--sync full`) once per block, before the commit that hands out the first id past
 * it, so the hot path pays a comparison per batch. A clean close writes the exact last id. The
 * mark is applied only to a store opened without a WAL file: after a crash the WAL is there and
 * the store's own sequence is whole (no gap); a store whose WAL went missing while its mark is
 * above its sequence starts past the mark (a gap of at most ID_BLOCK). Deleting `<store>-ids` as
 * well removes the protection; the README says to keep it with the store.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { ErrorCode, NucleusError } from '../errors.js';

/** Ids reserved by one write of the mark. */
export const ID_BLOCK = 10_000;

export const idMarkPath = (storePath: string): string => `${storePath}-ids`;

export class IdMark {
  /** What the file says now: every id handed out is at most this. */
  private reserved = 0;

  constructor(
    readonly path: string,
    private readonly fsync: boolean,
  ) {}

  /** Reads the mark (0 when there is none yet); a file that is not a mark is refused. */
  read(): number {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw fileError(this.path, error, 'read');
    }
    if (!/^\d{1,16}\n?$/.test(text)) {
      throw new NucleusError(ErrorCode.FailedPrecondition, `${this.path} is not a job-id high-water mark (it holds ${JSON.stringify(text.slice(0, 40))}); restore it or remove it`);
    }
    this.reserved = Number(text.trim());
    return this.reserved;
  }

  /** Makes sure the mark covers `id`, writing a new one a block ahead when it does not. */
  cover(id: number): void {
    if (id > this.reserved) this.write(id + ID_BLOCK);
  }

  /** Writes `value` as the mark (atomically: a whole file renamed over the old one). */
  write(value: number): void {
    const tmp = `${this.path}.tmp`;
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, `${value}\n`);
        if (this.fsync) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (error) {
      throw fileError(this.path, error, 'write');
    }
    this.reserved = value;
  }
}

function fileError(path: string, error: unknown, verb: string): NucleusError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = `cannot ${verb} the job-id high-water mark ${path} (${code || (error as Error).message})`;
  return new NucleusError(code === 'ENOSPC' ? ErrorCode.ResourceExhausted : ErrorCode.Unavailable, message, { cause: error });
}
