import type { Redis } from 'ioredis';
import type { RedisKeys } from '@chatorbit/shared';

const TIMEOUT_MS = 1_000;

/**
 * The persistence stream's backlog: how many accepted messages are not yet in MongoDB, and how
 * old the oldest is. Persisted entries are deleted from the stream (XDEL after XACK), so its
 * length is the backlog and its first entry the oldest; the entry id's time and the clock are
 * both Redis's (TIME), so pod clocks don't matter. Rejects after 1 s (a scrape must not hang on
 * a Redis that does not answer).
 */
export async function persistenceLag(redis: Redis, keys: RedisKeys): Promise<{ entries: number; seconds: number }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('persistence lag: Redis did not answer')), TIMEOUT_MS);
  });
  const read = redis.pipeline().time().xlen(keys.persistStream).xrange(keys.persistStream, '-', '+', 'COUNT', 1).exec();
  try {
    const replies = await Promise.race([read, timeout]);
    const [[timeErr, time], [lenErr, length], [rangeErr, first]] = replies as [
      [Error | null, [string, string]],
      [Error | null, number],
      [Error | null, Array<[string, string[]]>],
    ];
    const err = timeErr ?? lenErr ?? rangeErr;
    if (err) throw err;
    const nowMs = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    const oldestId = first[0]?.[0];
    const seconds = length > 0 && oldestId ? Math.max(0, nowMs - Number(oldestId.split('-')[0])) / 1000 : 0;
    return { entries: length, seconds };
  } finally {
    clearTimeout(timer);
  }
}
