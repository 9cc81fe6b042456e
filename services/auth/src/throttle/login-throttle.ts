import { AppError, clientSubnet, type RedisKeys } from '@chatorbit/shared';
import type { BackoffPolicy, ThrottleStore, ThrottleSubject } from './throttle-store.ts';

/** How the throttle counts addresses (in shared: chat's connection limits count them the same way). */
export { clientSubnet };

/** 429 too_many_attempts; the app sends `Retry-After: retryAfterSec` with it. */
export class ThrottledError extends AppError {
  readonly retryAfterSec: number;
  constructor(waitMs: number, what: string) {
    const retryAfterSec = Math.max(1, Math.ceil(waitMs / 1000));
    super(429, 'too_many_attempts', `too many ${what}; try again in ${retryAfterSec} s`);
    this.retryAfterSec = retryAfterSec;
  }
}

export interface LoginThrottlePolicy extends BackoffPolicy {
  /** Attempts free of delay per account name. */
  accountFree: number;
  /** Attempts free of delay per client address. */
  ipFree: number;
}

/** A counted attempt: tell it when the password was right. */
export interface LoginAttempt {
  succeeded(): Promise<void>;
}

/**
 * Growing delays for password checks, per account name and per client address. The account is the
 * name as typed (lower-cased), whether or not such an account exists, so a delay says nothing about
 * which accounts exist. A success clears the account's count and takes the attempt back from the
 * address's, so the many users behind one address only share its failures.
 */
export class LoginThrottle {
  private readonly store: ThrottleStore;
  private readonly keys: RedisKeys;
  private readonly policy: LoginThrottlePolicy;
  private readonly now: () => number;

  constructor(store: ThrottleStore, keys: RedisKeys, policy: LoginThrottlePolicy, now: () => number = Date.now) {
    this.store = store;
    this.keys = keys;
    this.policy = policy;
    this.now = now;
  }

  /** Counts an attempt at `login` from `ip`, or throws ThrottledError (counting nothing) while either must wait. */
  async attempt(login: string, ip: string): Promise<LoginAttempt> {
    const account: ThrottleSubject = { key: this.keys.loginAccount(login.trim().toLowerCase()), free: this.policy.accountFree };
    const address: ThrottleSubject = { key: this.keys.loginIp(clientSubnet(ip)), free: this.policy.ipFree };
    const wait = await this.store.attempt([account, address], this.policy, this.now());
    if (wait > 0) throw new ThrottledError(wait, 'login attempts');
    return {
      succeeded: async () => {
        await this.store.reset(account.key);
        await this.store.forgive(address);
      },
    };
  }
}

/** Fixed-window limit per client address (guest tokens). */
export class AddressRateLimit {
  private readonly store: ThrottleStore;
  private readonly key: (subnet: string) => string;
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly what: string;
  private readonly now: () => number;

  constructor(
    store: ThrottleStore,
    options: { key: (subnet: string) => string; limit: number; windowMs: number; what: string },
    now: () => number = Date.now,
  ) {
    this.store = store;
    this.key = options.key;
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.what = options.what;
    this.now = now;
  }

  /** Counts one; throws ThrottledError past the limit. */
  async hit(ip: string): Promise<void> {
    const wait = await this.store.hit(this.key(clientSubnet(ip)), this.limit, this.windowMs, this.now());
    if (wait > 0) throw new ThrottledError(wait, this.what);
  }
}
