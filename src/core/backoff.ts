/**
 * Retry backoff: exponential with "full jitter" over the upper half, capped.
 * delay(n) = min(cap, base * 2^(n-1)) * (0.5 + jitter/2), where n is the failure count (1 = first
 * retry) and jitter in [0,1) is passed in so the function stays pure and testable.
 */
export function backoffDelay(failures: number, baseMs: number, capMs: number, jitter: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 52);
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
  return Math.round(ceiling * (0.5 + jitter / 2));
}
