/**
 * Splitting a list into messages that fit the receiver's size limit. Both ends of a stream refuse
 * (and the stream dies on) any message over their limit, so every list that can grow with load
 * (assignments, results, acknowledgements, heartbeats) goes out in parts of at most `budget`
 * estimated bytes. The estimate is a running sum of a cheap upper bound per item, never a second
 * encoding; an item over the budget by itself travels alone (each one fits the limit, since
 * payloads, results and texts are capped below it).
 */

/** Bytes a string may take in UTF-8 (an upper bound without scanning it). */
export const utf8Bound = (text: string): number => text.length * 3;

/** Field tags, lengths and small numbers of one list item, generously. */
export const ITEM_OVERHEAD_BYTES = 64;

/** Room left in every message for the envelope (oneof tag, list framing, other fields). */
export const ENVELOPE_BYTES = 4 * 1024;

/**
 * Calls `write` with consecutive parts of `items`, each under `budget` bytes by `size`'s count
 * (at least one item per part). The common case, everything fitting, passes `items` itself.
 */
export function writeInParts<T>(items: T[], size: (item: T) => number, budget: number, write: (part: T[]) => void): void {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    const s = size(items[i]);
    if (i > start && bytes + s > budget) {
      write(items.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += s;
  }
  if (start === 0) {
    if (items.length > 0) write(items);
  } else write(items.slice(start));
}
