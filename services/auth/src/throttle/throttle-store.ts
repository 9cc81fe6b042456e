/** One counter of attempts, and how many of them are free of delay. */
export interface ThrottleSubject {
  key: string;
  free: number;
}

/** Growing delays: once a subject is past its free attempts, each attempt locks it for baseMs, 2·baseMs, … up to maxMs. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** A subject's count is forgotten this long after its last attempt (or when its lock ends, if later). */
  windowMs: number;
}

/**
 * Counters of attempts with growing delays (logins) and fixed-window limits (guest tokens), in
 * Redis or, for the in-memory engine, in this process. `now` is milliseconds since the epoch.
 */
export interface ThrottleStore {
  readonly backend: 'memory' | 'redis';
  /**
   * One attempt for all `subjects` at once. When one of them is locked, resolves to the ms left on
   * the longest lock and counts nothing; otherwise counts the attempt for each (before it is made,
   * so a burst of concurrent attempts cannot slip past the count) and resolves to 0. An attempt past
   * a subject's free ones locks that subject for the next one.
   */
  attempt(subjects: readonly ThrottleSubject[], policy: BackoffPolicy, now: number): Promise<number>;
  /** Takes back one counted attempt (it succeeded), and the subject's lock when that attempt alone caused it. */
  forgive(subject: ThrottleSubject): Promise<void>;
  /** Forgets the subject's attempts and lock. */
  reset(key: string): Promise<void>;
  /** One hit of a fixed window of `windowMs`: 0 while within `limit`, else the ms until the window ends. */
  hit(key: string, limit: number, windowMs: number, now: number): Promise<number>;
  ping(): Promise<void>;
}

/** The lock after the nth attempt of a subject with `free` free attempts: none, then baseMs doubling up to maxMs. */
export function lockMs(n: number, free: number, policy: BackoffPolicy): number {
  if (n <= free) return 0;
  const doublings = Math.min(n - free - 1, 40);
  return Math.min(policy.baseMs * 2 ** doublings, policy.maxMs);
}
