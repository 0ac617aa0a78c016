import { describe, expect, it } from 'vitest';
import { applyRuntimeFlags } from '../../src/runtime-flags.js';

describe('runtime flags by role', () => {
  it('given the worker command, then the young generation is kept at its starting size; other commands get nothing', () => {
    expect(applyRuntimeFlags(['worker', '--id', 'w1'], [])).toEqual(['--semi-space-growth-factor=1']);
    expect(applyRuntimeFlags(['master'], [])).toEqual([]);
    expect(applyRuntimeFlags([], [])).toEqual([]);
  });

  it('given a semi-space flag on the node command line, then it wins and nothing is set', () => {
    expect(applyRuntimeFlags(['worker'], ['--max-semi-space-size=8'])).toEqual([]);
    expect(applyRuntimeFlags(['worker'], ['--semi-space-growth-factor=2'])).toEqual([]);
  });
});
