// Accounts through the gateway of `pnpm start`, in both modes: sessions, throttling, guests, and
// a normal user (or a guest, or a forged token) calling the admin routes of the other services.
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisFromConfig } from '@chatorbit/shared';
import { startStandalone, type Standalone } from './standalone.ts';

const ADMIN = { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'a long admin secret' };
const id = `${process.pid}_${Date.now().toString(36)}`;

const modes: [string, () => Record<string, string>][] = [
  ['the in-memory engine', () => ({})],
  ['Redis and MongoDB', () => ({ REDIS_URL: inject('redisUrl'), MONGO_URL: inject('mongoUrl'), MONGO_DB: `standalone_auth_${id}`, REDIS_PREFIX: `sa-${id}` })],
];

describe.each(modes)('accounts through the gateway on %s', (mode, backends) => {
  let app: Standalone;
  let env: Record<string, string>;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & { error: { code: string } } };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  async function account(username: string) {
    const password = `${username} secret password`;
    expect((await call('POST', '/api/v1/auth/signup', { username, email: `${username}@example.test`, password })).status).toBe(201);
    const login = await call('POST', '/api/v1/auth/login', { login: username, password });
    expect(login.status).toBe(200);
    return { password, ...(login.body as unknown as { accessToken: string; refreshToken: string; user: { id: string } }) };
  }

  beforeAll(async () => {
    env = { ...backends(), ...ADMIN, LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', LOGIN_FREE_ATTEMPTS: '3' };
    app = await startStandalone(env);
  });
  afterAll(async () => {
    await app?.close();
    if (env?.MONGO_URL) {
      const mongo = await new MongoClient(env.MONGO_URL).connect();
      await mongo.db(env.MONGO_DB).dropDatabase();
      await mongo.close();
    }
  });

  it('refreshes (bearer and cookie mode) and the new access tokens work on the other services', async () => {
    const alice = await account('alice');
    const refreshed = await call('POST', '/api/v1/auth/refresh', { refreshToken: alice.refreshToken });
    expect(refreshed.status).toBe(200);
    const me = await call('GET', '/api/v1/users/me', undefined, bearer(refreshed.body.accessToken as unknown as string));
    expect(me.body).toMatchObject({ id: alice.user.id, username: 'alice' });

    const cookieLogin = await fetch(`${app.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'alice', password: alice.password, cookie: true }),
    });
    const cookie = cookieLogin.headers.getSetCookie().find((c) => c.startsWith('orbit_refresh='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Path=\/api\/v1\/auth/);
    const viaCookie = await call('POST', '/api/v1/auth/refresh', {}, { cookie: cookie.split(';')[0]! });
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.headers.getSetCookie().some((c) => c.startsWith('orbit_refresh='))).toBe(true);
  });

  it('keeps what the backends should keep where they keep it', async () => {
    const bob = await account('bob');
    for (let i = 0; i < 4; i++) await call('POST', '/api/v1/auth/login', { login: 'bob', password: `wrong-${i}` });
    const throttled = await call('POST', '/api/v1/auth/login', { login: 'bob', password: bob.password });
    expect(throttled.status).toBe(429);
    expect(throttled.body.error.code).toBe('too_many_attempts');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    if (mode === 'Redis and MongoDB') {
      const redis = createRedisFromConfig({ REDIS_URL: env.REDIS_URL!, REDIS_MASTER_NAME: 'mymaster' }, 'test')!;
      const mongo = await new MongoClient(env.MONGO_URL!).connect();
      try {
        expect(await redis.hget(`sa-${id}:auth:login:account:bob`, 'n')).toBe('4');
        expect(await mongo.db(env.MONGO_DB).collection('refresh_families').countDocuments({ userId: bob.user.id })).toBe(1);
        expect(await mongo.db(env.MONGO_DB).collection('refresh_tokens').countDocuments({ userId: bob.user.id })).toBe(1);
      } finally {
        await redis.quit();
        await mongo.close();
      }
    }
  });

  it("serves the original frontend's auth routes through the gateway: register, login with the cookie, /user by cookie, change-password, logout", async () => {
    const registered = await call('POST', '/register', { email: 'zoe@example.test', username: 'zoe', password: 'zoe password' });
    expect(registered).toMatchObject({ status: 200, body: { message: 'Registration successful' } });
    expect(await call('POST', '/register', { email: 'zoe2@example.test', username: 'zoe', password: 'zoe password' })).toMatchObject({
      status: 400,
      body: { error: 'username is already taken' },
    });
    const login = await call('POST', '/login', { email: 'zoe@example.test', password: 'zoe password' });
    expect(login.status).toBe(200);
    const token = login.body.token as unknown as string;
    const payload = JSON.parse(atob(token.split('.')[1]!)) as { user_id: string; username: string };
    expect(payload.username).toBe('zoe');
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('token='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).not.toMatch(/Secure/);
    const jar = { cookie: cookie.split(';')[0]! };
    expect(await call('GET', `/user/${payload.user_id}`, undefined, jar)).toMatchObject({ status: 200, body: { id: payload.user_id, name: 'zoe' } });
    expect(await call('POST', '/change-password', { old_password: 'zoe password', new_password: 'zoe new password' }, jar)).toMatchObject({ status: 200 });
    expect((await call('POST', '/login', { email: 'zoe@example.test', password: 'zoe password' })).status).toBe(401);
    const logout = await call('POST', '/logout', undefined, jar);
    expect(logout.status).toBe(200);
    expect(logout.headers.getSetCookie().find((c) => c.startsWith('token='))).toMatch(/^token=;/);
  });

  it('gives guests a viewer token', async () => {
    const guest = await call('POST', '/api/v1/auth/guest');
    expect(guest.status).toBe(200);
    expect((guest.body.guest as unknown as { name: string }).name).toMatch(/^guest-[0-9a-f]{6}$/);
  });

  describe('admin routes of chat, called by others', () => {
    let user: string;
    let guest: string;
    let admin: string;
    let target: string;
    const adminRoutes = (): [string, string, unknown?][] => [
      ['POST', '/api/v1/bans', { userId: target, reason: 'test' }],
      ['GET', '/api/v1/bans'],
      ['DELETE', `/api/v1/bans/${target}`],
      ['PUT', '/api/v1/settings', { blockedTerms: ['x'] }],
      ['PUT', '/api/v1/ratelimit', { messages: 5, perSec: 10 }],
      ['GET', '/api/v1/audit'],
    ];
    beforeAll(async () => {
      user = (await account('carol')).accessToken;
      target = (await account('dave')).user.id;
      guest = (await call('POST', '/api/v1/auth/guest')).body.accessToken as unknown as string;
      admin = ((await call('POST', '/api/v1/auth/login', { login: 'root', password: ADMIN.ADMIN_PASSWORD })).body.accessToken as unknown) as string;
    });

    it('refuse a normal user with 403', async () => {
      for (const [method, path, body] of adminRoutes()) {
        const res = await call(method, path, body, bearer(user));
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
    });

    it('refuse a guest with 403', async () => {
      for (const [method, path, body] of adminRoutes()) expect((await call(method, path, body, bearer(guest))).status, `${method} ${path}`).toBe(403);
    });

    it("refuse a user's token whose roles were raised to admin with 401", async () => {
      const [header, payload, signature] = user.split('.') as [string, string, string];
      const raised = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['admin'] })).toString('base64url');
      for (const [method, path, body] of adminRoutes()) {
        expect((await call(method, path, body, bearer(`${header}.${raised}.${signature}`))).status, `${method} ${path}`).toBe(401);
      }
    });

    it('let the admin through (the control)', async () => {
      for (const [method, path, body] of adminRoutes()) {
        expect((await call(method, path, body, bearer(admin))).status, `${method} ${path}`).toBeLessThan(300);
      }
    });
  });
});
