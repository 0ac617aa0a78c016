/**
 * Logs on a terminal are one readable line per event, as the README says: fields inline and an
 * error as its message, never a multi-line object or a stack. Run in a child process with the
 * built logger, since it writes to file descriptor 2 itself.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../helpers/process.js';

describe('system: readable logs', () => {
  it('given the readable format, when events with fields and errors are logged, then each is exactly one line', () => {
    const script = `
      const { createLogger } = await import(${JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'dist', 'log.js')).href)});
      const log = createLogger({ level: 'info', pretty: true, name: 'master' });
      log.info({ worker: 'w1', queues: ['a', 'b'] }, 'worker connected');
      const e = new Error('disk I/O error\\nat page 7');
      e.code = 'SQLITE_IOERR';
      log.error({ err: e, jobs: 3 }, 'submit failed: nothing was written');
      log.warn(new Error('plain'));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    expect(child.status, child.stderr).toBe(0);
    const lines = child.stderr.trimEnd().split('\n');
    expect(lines, child.stderr).toHaveLength(3);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(master\): worker connected \{"worker":"w1","queues":\["a","b"\]\}$/);
    expect(lines[1]).toMatch(/ERROR \(master\): submit failed: nothing was written \(Error SQLITE_IOERR: disk I\/O error at page 7\) \{"jobs":3\}$/);
    expect(lines[2]).toMatch(/WARN \(master\): plain \(Error: plain\)$/);
  });
});
