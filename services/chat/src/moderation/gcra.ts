import type { RateLimit } from './moderation.ts';

/**
 * The generic cell rate algorithm, as the send script runs it: `messages` per `perSec`, at most
 * `messages` at once. `tat` is the theoretical arrival time of the next message (ms); a message
 * is allowed when it arrives no earlier than tat − period + interval.
 */
export function gcra(tat: number | undefined, now: number, limit: RateLimit) {
  const period = limit.perSec * 1000;
  const interval = period / limit.messages;
  const next = Math.max(tat ?? now, now) + interval;
  const allowAt = next - period;
  if (now < allowAt) return { allowed: false as const, retryAfterMs: Math.ceil(allowAt - now) };
  return { allowed: true as const, tat: next };
}
