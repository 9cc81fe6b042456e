import type { Redis } from 'ioredis';

/**
 * Redis WAIT: resolves with how many replicas have acknowledged every write this client sent
 * before the call, once `replicas` of them have or after `timeoutMs`, whichever comes first.
 * Fewer than asked is not an error: the caller decides (e.g. fail a send, or accept it degraded).
 *
 * - WAIT covers the writes of one connection, so call it on the client that wrote, after the
 *   writes (auto-pipelining keeps the order). One WAIT after a batch of writes covers them all.
 * - While it waits, every later command on that connection waits behind it (the server handles a
 *   connection's commands in order): up to timeoutMs of added latency when replicas lag or are gone.
 * - Acknowledged by replicas still makes no promise across every failover (Sentinel promotes the
 *   most up-to-date reachable replica, usually one that acked); it narrows the window of loss.
 *
 * `replicas` ≤ 0 resolves with 0 without a round trip. `timeoutMs` must be ≥ 1: WAIT 0 would
 * block forever.
 */
export async function waitForReplicas(redis: Redis, replicas: number, timeoutMs: number): Promise<number> {
  if (!Number.isInteger(replicas)) throw new RangeError(`replicas must be an integer (got ${replicas})`);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new RangeError(`timeoutMs must be an integer ≥ 1 (got ${timeoutMs}); WAIT with 0 blocks forever`);
  }
  if (replicas <= 0) return 0;
  return Number(await redis.wait(replicas, timeoutMs));
}
