import { readFileSync } from 'node:fs';
import type { Redis, Result } from 'ioredis';
import type { BackoffPolicy, ThrottleStore, ThrottleSubject } from './throttle-store.ts';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
const ATTEMPT_LUA = lua('attempt');
const FORGIVE_LUA = lua('forgive');
const HIT_LUA = lua('hit');

declare module 'ioredis' {
  interface RedisCommander<Context> {
    throttleAttempt(numKeys: number, ...keysThenArgs: (string | number)[]): Result<number, Context>;
    throttleForgive(key: string, free: number): Result<number, Context>;
    throttleHit(key: string, windowMs: number, limit: number): Result<number, Context>;
  }
}

/**
 * The throttle of several auth replicas: counters in Redis, each change one script (by SHA; ioredis
 * loads it once per connection). The lock times come from the caller's clock, so replicas agree as
 * far as their clocks do; the keys' expiry is Redis's.
 */
export class RedisThrottleStore implements ThrottleStore {
  readonly backend = 'redis';
  private readonly redis: Redis;

  constructor(redis: Redis) {
    if (!redis.throttleAttempt) {
      redis.defineCommand('throttleAttempt', { lua: ATTEMPT_LUA });
      redis.defineCommand('throttleForgive', { numberOfKeys: 1, lua: FORGIVE_LUA });
      redis.defineCommand('throttleHit', { numberOfKeys: 1, lua: HIT_LUA });
    }
    this.redis = redis;
  }

  async ping() {
    await this.redis.ping();
  }

  async attempt(subjects: readonly ThrottleSubject[], policy: BackoffPolicy, now: number) {
    const keys = subjects.map((s) => s.key);
    const frees = subjects.map((s) => s.free);
    return Number(await this.redis.throttleAttempt(keys.length, ...keys, now, policy.baseMs, policy.maxMs, policy.windowMs, ...frees));
  }

  async forgive({ key, free }: ThrottleSubject) {
    await this.redis.throttleForgive(key, free);
  }

  async reset(key: string) {
    await this.redis.del(key);
  }

  async hit(key: string, limit: number, windowMs: number) {
    return Number(await this.redis.throttleHit(key, windowMs, limit));
  }
}
