import { describe, expect, it } from 'vitest';
import { writeInParts } from '../../../src/rpc/message-parts.js';

const parts = (sizes: number[], budget: number): number[][] => {
  const out: number[][] = [];
  writeInParts(sizes, (s) => s, budget, (part) => out.push(part));
  return out;
};

describe('writeInParts', () => {
  it('given items that fit, when split, then they go as one part, the same array', () => {
    const items = [1, 2, 3];
    const seen: number[][] = [];
    writeInParts(items, (s) => s, 10, (part) => seen.push(part));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(items);
  });

  it('given items over the budget together, when split, then every part is under it and an oversize item goes alone', () => {
    expect(parts([4, 4, 4, 20, 1, 9, 1], 10)).toEqual([[4, 4], [4], [20], [1, 9], [1]]);
  });

  it('given no items, when split, then nothing is written', () => {
    expect(parts([], 10)).toEqual([]);
  });
});
