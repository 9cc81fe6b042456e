import { lockMs, type BackoffPolicy, type ThrottleStore, type ThrottleSubject } from './throttle-store.ts';

interface Entry {
  n: number;
  /** No attempt before this (ms). */
  until: number;
  expiresAt: number;
}

/** Entries past their expiry are swept once the map holds this many. */
const SWEEP_AT = 10_000;

/** The embedded engine's throttle: one process, so one Map is the whole truth. Synchronous, hence atomic. */
export class MemoryThrottleStore implements ThrottleStore {
  readonly backend = 'memory';
  private readonly entries = new Map<string, Entry>();

  async ping() {}

  async attempt(subjects: readonly ThrottleSubject[], policy: BackoffPolicy, now: number) {
    this.sweep(now);
    let wait = 0;
    for (const { key } of subjects) {
      const entry = this.live(key, now);
      if (entry && entry.until > now) wait = Math.max(wait, entry.until - now);
    }
    if (wait > 0) return wait;
    for (const { key, free } of subjects) {
      const entry = this.live(key, now) ?? { n: 0, until: 0, expiresAt: 0 };
      entry.n += 1;
      const lock = lockMs(entry.n, free, policy);
      if (lock > 0) entry.until = now + lock;
      entry.expiresAt = now + Math.max(policy.windowMs, lock);
      this.entries.set(key, entry);
    }
    return 0;
  }

  async forgive({ key, free }: ThrottleSubject) {
    const entry = this.entries.get(key);
    if (!entry || entry.n === 0) return;
    entry.n -= 1;
    if (entry.n <= free) entry.until = 0;
  }

  async reset(key: string) {
    this.entries.delete(key);
  }

  async hit(key: string, limit: number, windowMs: number, now: number) {
    this.sweep(now);
    const entry = this.live(key, now) ?? { n: 0, until: 0, expiresAt: now + windowMs };
    entry.n += 1;
    this.entries.set(key, entry);
    return entry.n > limit ? entry.expiresAt - now : 0;
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(now: number) {
    if (this.entries.size < SWEEP_AT) return;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
