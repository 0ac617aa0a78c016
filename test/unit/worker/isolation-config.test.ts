/**
 * --isolation as configuration: the default, the environment variable, and a bad value refused
 * naming the flag and the choices.
 */
import { describe, expect, it } from 'vitest';
import { resolveWorkerConfig } from '../../../src/config.js';
import { DEFAULT_ISOLATION } from '../../../src/worker/isolation-mode.js';

describe('--isolation', () => {
  it('given nothing, then the default is thread; given NUCLEUS_ISOLATION or the flag, then that (the flag first)', () => {
    expect(DEFAULT_ISOLATION).toBe('thread');
    expect(resolveWorkerConfig({}, {}).isolation).toBe('thread');
    expect(resolveWorkerConfig({}, { NUCLEUS_ISOLATION: 'process' }).isolation).toBe('process');
    expect(resolveWorkerConfig({ isolation: 'none' }, { NUCLEUS_ISOLATION: 'process' }).isolation).toBe('none');
  });

  it('given an unknown mode, then it is refused naming the flag and the choices', () => {
    expect(() => resolveWorkerConfig({}, { NUCLEUS_ISOLATION: 'vm' })).toThrow('--isolation: must be one of thread, process, none (got "vm")');
  });
});
