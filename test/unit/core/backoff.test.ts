import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/core/backoff.js';

describe('backoffDelay: exponential, capped, jittered over the upper half', () => {
  it('given jitter 1 (the top of the range), then the delay doubles per failure from the base', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, 1000, 3_600_000, 1))).toEqual([1000, 2000, 4000, 8000, 16000]);
  });

  it('given jitter 0, then the delay is half the ceiling', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, 1000, 3_600_000, 0))).toEqual([500, 1000, 2000]);
  });

  it('given many failures, then the ceiling stops at the cap and never overflows', () => {
    expect(backoffDelay(20, 1000, 60_000, 1)).toBe(60_000);
    expect(backoffDelay(10_000, 1000, 60_000, 1)).toBe(60_000);
    expect(Number.isFinite(backoffDelay(Number.MAX_SAFE_INTEGER, 1000, 60_000, 0.5))).toBe(true);
  });

  it('given failures 0 or negative, then it is treated as the first retry', () => {
    expect(backoffDelay(0, 1000, 60_000, 1)).toBe(1000);
    expect(backoffDelay(-3, 1000, 60_000, 1)).toBe(1000);
  });

  it('given any jitter in [0, 1), then the delay stays within [ceiling/2, ceiling]', () => {
    // A fixed grid instead of random numbers: the bounds must hold everywhere, and the test must repeat.
    for (let failures = 1; failures <= 12; failures++) {
      const ceiling = Math.min(30_000, 250 * 2 ** (failures - 1));
      for (let step = 0; step < 100; step++) {
        const jitter = step / 100;
        const delay = backoffDelay(failures, 250, 30_000, jitter);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('given more jitter, then the delay never shrinks (monotonic in jitter)', () => {
    let previous = -1;
    for (let step = 0; step < 100; step++) {
      const delay = backoffDelay(3, 1000, 60_000, step / 100);
      expect(delay).toBeGreaterThanOrEqual(previous);
      previous = delay;
    }
  });

  it('given a base of 0, then retries are immediate', () => {
    expect(backoffDelay(5, 0, 60_000, 0.7)).toBe(0);
  });

  it('given a cap below the base, then the cap wins', () => {
    expect(backoffDelay(1, 5000, 2000, 1)).toBe(2000);
  });
});
