import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redisKeys } from '@chatorbit/shared';
import { buildAuthApp } from './app.ts';
import { PasswordHasher } from './passwords/password-hasher.ts';
import { startAuth, type AuthHarness } from './testing/auth-app.ts';
import { openMemoryUserStore } from './testing/user-stores.ts';
import { clientSubnet } from './throttle/login-throttle.ts';
import { MemoryThrottleStore } from './throttle/memory-throttle-store.ts';
import { RedisThrottleStore } from './throttle/redis-throttle-store.ts';
import type { ThrottleStore } from './throttle/throttle-store.ts';

const prefix = `thr${process.pid}${Date.now().toString(36)}`;
const redisClients: Redis[] = [];
/** A Redis connection of its own (as each auth replica has), to the test run's throwaway redis-server. */
function redis(): Redis {
  const client = new Redis(inject('redisUrl'), { lazyConnect: false });
  redisClients.push(client);
  return client;
}
afterAll(async () => {
  await Promise.all(redisClients.map((c) => c.quit()));
});

const backends: [string, () => ThrottleStore][] = [
  ['memory', () => new MemoryThrottleStore()],
  ['redis', () => new RedisThrottleStore(redis())],
];

const errorOf = (res: { json: () => unknown }) => (res.json() as { error: { code: string; message: string } }).error;

describe.each(backends)('the %s throttle store', (_kind, make) => {
  const policy = { baseMs: 1000, maxMs: 8000, windowMs: 3_600_000 };
  let store: ThrottleStore;
  let n = 0;
  const key = () => `${prefix}:store:${++n}`;
  beforeAll(() => {
    store = make();
  });

  it('counts free attempts, then locks for doubling delays up to the cap', async () => {
    const subject = { key: key(), free: 2 };
    let now = 1_000_000;
    expect(await store.attempt([subject], policy, now)).toBe(0);
    expect(await store.attempt([subject], policy, now)).toBe(0);
    // The third is allowed, and locks the subject for the next one.
    expect(await store.attempt([subject], policy, now)).toBe(0);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const wait = await store.attempt([subject], policy, now);
      delays.push(wait);
      // A refused attempt counts nothing: asking again at once gets the same wait.
      expect(await store.attempt([subject], policy, now)).toBe(wait);
      now += wait;
      expect(await store.attempt([subject], policy, now)).toBe(0);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(await store.attempt([subject], policy, now + 1500)).toBe(6500);
  });

  it('waits for the longest lock of all subjects and counts for each', async () => {
    const a = { key: key(), free: 1 };
    const b = { key: key(), free: 3 };
    const now = 5_000_000;
    expect(await store.attempt([a, b], policy, now)).toBe(0);
    expect(await store.attempt([a, b], policy, now)).toBe(0); // a: 2 > 1, locked 1 s
    expect(await store.attempt([b], policy, now)).toBe(0); // b alone: 3
    expect(await store.attempt([a, b], policy, now)).toBe(1000);
    expect(await store.attempt([b], policy, now)).toBe(0); // b: 4 > 3, locked 1 s
    expect(await store.attempt([a, b], policy, now + 1000)).toBe(0); // a: 3 → 2 s; b: 5 → 2 s
    expect(await store.attempt([b], policy, now + 1000)).toBe(2000);
  });

  it('forgives an attempt that succeeded, and the lock that attempt alone caused', async () => {
    const s = { key: key(), free: 2 };
    const now = 9_000_000;
    for (let i = 0; i < 3; i++) expect(await store.attempt([s], policy, now)).toBe(0);
    expect(await store.attempt([s], policy, now)).toBe(1000);
    await store.forgive(s);
    expect(await store.attempt([s], policy, now)).toBe(0);
    await store.forgive(s);
    await store.forgive(s);
    await store.forgive(s);
    // Down to zero, never below: three more are free again.
    for (let i = 0; i < 3; i++) expect(await store.attempt([s], policy, now)).toBe(0);
    expect(await store.attempt([s], policy, now)).toBe(1000);
    await store.reset(s.key);
    expect(await store.attempt([s], policy, now)).toBe(0);
  });

  it('does not let a burst of concurrent attempts past the count', async () => {
    const s = { key: key(), free: 5 };
    const results = await Promise.all(Array.from({ length: 30 }, () => store.attempt([s], policy, 1)));
    expect(results.filter((w) => w === 0)).toHaveLength(6);
  });

  it('limits hits per fixed window', async () => {
    const k = key();
    const results: number[] = [];
    for (let i = 0; i < 5; i++) results.push(await store.hit(k, 3, 60_000, 1_000));
    expect(results.slice(0, 3)).toEqual([0, 0, 0]);
    for (const wait of results.slice(3)) {
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60_000);
    }
  });
});

describe('clientSubnet', () => {
  it.each([
    ['10.0.0.7', '10.0.0.7'],
    ['::ffff:10.0.0.7', '10.0.0.7'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('counts %s as %s', (ip, subnet) => {
    expect(clientSubnet(ip)).toBe(subnet);
  });
});

describe.each(backends)('login throttling on the %s store', (kind, make) => {
  let h: AuthHarness;
  const env = { LOGIN_FREE_ATTEMPTS: '3', LOGIN_IP_FREE_ATTEMPTS: '10', LOGIN_BACKOFF_BASE_SEC: '2', LOGIN_BACKOFF_MAX_SEC: '60', REDIS_PREFIX: `${prefix}${kind}` };
  let ipCounter = 0;
  /** A client address no other test uses. */
  const ip = () => `10.9.${Math.floor(++ipCounter / 200)}.${ipCounter % 200}`;

  beforeAll(async () => {
    h = await startAuth(openMemoryUserStore, 'unused', { env, throttle: make() });
  });
  afterAll(async () => {
    await h?.close();
  });
  const login = (login: string, password: string, remoteAddress: string) =>
    h.post('/api/v1/auth/login', { login, password }, { remoteAddress });

  it('answers 429 too_many_attempts with Retry-After past the free attempts, also to the right password, with doubling waits', async () => {
    const account = await h.newAccount('brute');
    const from = ip();
    for (let i = 0; i < 4; i++) expect((await login(account.username, `wrong-${i}`, from)).statusCode).toBe(401);
    const locked = await login(account.username, account.password, from);
    expect(locked.statusCode).toBe(429);
    expect(errorOf(locked)).toEqual({ code: 'too_many_attempts', message: 'too many login attempts; try again in 2 s' });
    expect(locked.headers['retry-after']).toBe('2');
    // From another address too: the account itself is throttled.
    expect((await login(account.username, account.password, ip())).statusCode).toBe(429);

    h.clock.now += 2000;
    expect((await login(account.username, 'wrong-again', from)).statusCode).toBe(401);
    const longer = await login(account.username, account.password, from);
    expect(longer.headers['retry-after']).toBe('4');
    h.clock.now += 4000;
    expect((await login(account.username, account.password, from)).statusCode).toBe(200);
    // A success clears the account's count: three free attempts again.
    for (let i = 0; i < 4; i++) expect((await login(account.username, `wrong-${i}`, from)).statusCode).toBe(401);
    expect((await login(account.username, account.password, from)).statusCode).toBe(429);
  });

  it('throttles a login that names no account exactly as one that does', async () => {
    const account = await h.newAccount('real');
    const statuses = async (name: string) => {
      const out: number[] = [];
      const from = ip();
      for (let i = 0; i < 6; i++) out.push((await login(name, `wrong-${i}`, from)).statusCode);
      return out;
    };
    expect(await statuses('nobody-by-this-name')).toEqual(await statuses(account.username));
    expect(await statuses('nobody-by-this-name')).toEqual([429, 429, 429, 429, 429, 429]);
  });

  it('counts the account name as typed, in any letter case', async () => {
    const account = await h.newAccount('Casey');
    const from = ip();
    for (const name of [account.username, account.username.toUpperCase(), account.username.toLowerCase(), ` ${account.username} `]) {
      expect((await login(name, 'wrong', from)).statusCode).toBe(401);
    }
    expect((await login(account.username, account.password, from)).statusCode).toBe(429);
  });

  it('throttles one address trying many accounts; other addresses are not affected', async () => {
    const from = ip();
    for (let i = 0; i < 11; i++) expect((await login(`spray-${kind}-${i}`, 'wrong', from)).statusCode).toBe(401);
    const account = await h.newAccount('victim');
    expect((await login(account.username, account.password, from)).statusCode).toBe(429);
    expect((await login(account.username, account.password, ip())).statusCode).toBe(200);
  });

  it('does not hold successful logins against the address', async () => {
    const account = await h.newAccount('office');
    const from = ip();
    for (let i = 0; i < 25; i++) expect((await login(account.username, account.password, from)).statusCode).toBe(200);
  });

  it('lets no more than the free attempts through a concurrent burst', async () => {
    const account = await h.newAccount('burst');
    const from = ip();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login(account.username, `wrong-${i}`, from)));
    const statuses = results.map((r) => r.statusCode);
    // 3 free, the 4th allowed and locking.
    expect(statuses.filter((s) => s === 401)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(16);
  });

  it('throttles password changes under the account name, like logins', async () => {
    const account = await h.newAccount('changer');
    const from = ip();
    const { accessToken } = await h.login(account);
    const change = (currentPassword: string) =>
      h.post('/api/v1/auth/password', { currentPassword, newPassword: 'the next password' }, { remoteAddress: from, headers: { authorization: `Bearer ${accessToken}` } });
    for (let i = 0; i < 4; i++) expect((await change(`wrong-${i}`)).statusCode).toBe(403);
    expect((await change(account.password)).statusCode).toBe(429);
    expect((await login(account.username, account.password, ip())).statusCode).toBe(429);
  });
});

describe('two auth replicas sharing one Redis', () => {
  it('count failed logins together', async () => {
    const env = { LOGIN_FREE_ATTEMPTS: '4', REDIS_PREFIX: `${prefix}shared` };
    const store = await openMemoryUserStore('unused');
    const a = await startAuth(openMemoryUserStore, 'unused', { env, store, throttle: new RedisThrottleStore(redis()) });
    const b = await startAuth(openMemoryUserStore, 'unused', { env, store, throttle: new RedisThrottleStore(redis()) });
    try {
      const account = await a.newAccount('shared');
      const attempt = (h: AuthHarness, password: string) =>
        h.post('/api/v1/auth/login', { login: account.username, password }, { remoteAddress: '10.8.0.1' });
      for (const h of [a, b, a, b, a]) expect((await attempt(h, 'wrong')).statusCode).toBe(401);
      expect((await attempt(b, account.password)).statusCode).toBe(429);
      const keys = redisKeys(env.REDIS_PREFIX);
      const counted = await redis().hgetall(keys.loginAccount(account.username.toLowerCase()));
      expect(counted.n).toBe('5');
      expect(Number(counted.until)).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('timing and answers of a login', () => {
  it('spends a password derivation on an unknown login as on a known one, and answers both alike', async () => {
    const verified: (string | undefined)[] = [];
    class CountingHasher extends PasswordHasher {
      override async verify(password: string, encoded: string | undefined) {
        verified.push(encoded);
        return super.verify(password, encoded);
      }
    }
    const store = await openMemoryUserStore('unused');
    const h = await startAuth(openMemoryUserStore, 'unused', { store });
    // startAuth's hasher is fast; this app on the same store counts its derivations.
    const app = await buildAuthApp(h.config, { users: store.users, sessions: store.sessions, signer: h.signer, passwords: new CountingHasher({ N: 2 ** 10, r: 8, p: 1 }) });
    try {
      const account = await h.newAccount('timing');
      const unknown = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'no-such-user', password: 'whatever-1' } });
      const wrong = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: account.username, password: 'whatever-1' } });
      expect(verified).toEqual([undefined, expect.stringMatching(/^scrypt\$/)]);
      expect(unknown.statusCode).toBe(401);
      expect(unknown.body).toBe(wrong.body);
    } finally {
      await app.close();
      await h.close();
    }
  });

  it('tells a deactivated account so only with the right password', async () => {
    const h = await startAuth(openMemoryUserStore, 'unused');
    try {
      const account = await h.newAccount('gone');
      await h.store.users.setDeactivated(account.id, true);
      const wrong = await h.post('/api/v1/auth/login', { login: account.username, password: 'not the password' });
      expect(wrong.statusCode).toBe(401);
      expect(errorOf(wrong)).toEqual({ code: 'unauthorized', message: 'invalid login or password' });
      const right = await h.post('/api/v1/auth/login', { login: account.username, password: account.password });
      expect(right.statusCode).toBe(403);
      expect(errorOf(right)).toEqual({ code: 'account_deactivated', message: 'this account is deactivated' });
    } finally {
      await h.close();
    }
  });
});
