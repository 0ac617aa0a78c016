import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/core/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['0', 0],
    ['0s', 0],
    [' 10s ', 10_000],
    ['0.0015s', 2],
  ])('given "%s", then it is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'abc', '-5s', '5x', '5 s', '1e3', 's', '.5s', '5sec', '1h30m'])('given "%s", then an error naming the expected form', (text) => {
    const parsed = parseDuration(text);
    expect(typeof parsed).toBe('object');
    expect((parsed as { error: string }).error).toContain(`"${text}" is not a duration`);
    expect((parsed as { error: string }).error).toContain('30s');
  });

  it.each([
    ['5', '"5" has no unit; write 5s or 5000ms'],
    ['250', '"250" has no unit; write 250s or 250000ms'],
    ['1.5', '"1.5" has no unit; write 1.5s or 1500ms'],
  ])('given the bare number "%s", then it is refused with the units to choose from', (text, error) => {
    expect(parseDuration(text)).toEqual({ error });
  });

  it('given a duration past the largest safe number of ms, then it is refused as too large', () => {
    expect(parseDuration('99999999999999999999d')).toEqual({ error: '"99999999999999999999d" is too large' });
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [59_900, '59.9s'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d0h'],
    [2 * 86_400_000 + 3_600_000, '2d1h'],
  ])('given %d ms, then "%s"', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [999.6, '1s'],
    [59_990, '1m0s'],
    [119_999, '2m0s'],
    [3_599_999, '1h0m'],
    [7_199_999, '2h0m'],
    [86_399_999, '1d0h'],
  ])('given %d ms just below a unit boundary, then it rounds up into the next unit ("%s"), never "60s" of a minute', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('given a formatted duration in a single unit, then it parses back to the same ms', () => {
    for (const text of ['250ms', '12s']) expect(formatDuration(parseDuration(text) as number)).toBe(text);
  });
});
