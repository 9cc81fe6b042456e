import type { Message } from '@chatorbit/shared';
import type { RangeQuery } from '../broker/broker.ts';

/** The messages of a seq-sorted list that a range query selects, in its order. */
export function selectRange(sorted: readonly Message[], { after, before, limit, order }: RangeQuery): Message[] {
  let start = 0;
  let end = sorted.length;
  if (after !== undefined) while (start < end && sorted[start]!.seq <= after) start++;
  if (before !== undefined) while (end > start && sorted[end - 1]!.seq >= before) end--;
  return order === 'asc' ? sorted.slice(start, Math.min(end, start + limit)) : sorted.slice(Math.max(start, end - limit), end).reverse();
}
