import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/commands/index.js';
import { routeArgs } from '../../../src/commands/route.js';
import { nearest } from '../../../src/core/nearest.js';

describe('flag help', () => {
  const flags = Object.entries(COMMANDS).flatMap(([id, command]) =>
    Object.entries({ ...command.baseFlags, ...command.flags }).map(([name, flag]) => ({ id, name, flag: flag as { type: string; default?: unknown; summary?: string } })),
  );

  it.each(flags.filter((f) => f.flag.type === 'option' && f.flag.default !== undefined).map((f) => [`${f.id} --${f.name}`, f.flag.summary ?? '']))(
    'given %s, which oclif prints as "[default: ...]", then its summary does not say the default again',
    (_flag, summary) => {
      expect(summary).not.toMatch(/Default:/);
    },
  );
});

describe('routeArgs', () => {
  const ids = Object.keys(COMMANDS);
  it.each([
    [['help'], ['--help']],
    [['help', 'submit'], ['submit', '--help']],
    [['help', 'submit', 'extra'], ['submit', 'extra', '--help']],
    [['submit', 'echo'], ['submit', 'echo']],
    [['--version'], ['--version']],
    [[], []],
  ])('given %j, then oclif gets %j', (argv, args) => {
    expect(routeArgs(argv, ids)).toEqual({ args });
  });

  it('given a typo, then an error with the closest command and the usage exit code', () => {
    expect(routeArgs(['resmue', 'q'], ids)).toEqual({ error: 'nucleus: resmue is not a nucleus command; did you mean resume? (`nucleus --help` lists them)', exitCode: 2 });
    expect(routeArgs(['help', 'lsit'], ids)).toMatchObject({ error: expect.stringContaining('did you mean list?') });
  });
});

describe('nearest', () => {
  it.each([
    ['fibonaci', ['echo', 'fibonacci', 'sleep'], 'fibonacci'],
    ['Fibonacci', ['fibonacci'], 'fibonacci'],
    ['slep', ['sleep', 'echo'], 'sleep'],
    ['x', ['echo'], null],
    ['transcode', ['echo', 'sleep'], null],
    ['echo', ['echo'], null],
  ])('given %s among %j, then %s', (word, candidates, expected) => {
    expect(nearest(word, candidates)).toBe(expected);
  });
});
