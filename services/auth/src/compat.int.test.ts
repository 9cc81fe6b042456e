import type { LightMyRequestResponse } from 'fastify';
import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, type TokenVerifier, type UserStore } from '@chatorbit/shared';
import { fastHasher, setCookie, startAuth, type AuthHarness } from './testing/auth-app.ts';
import { openMemoryUserStore, userStoreCases } from './testing/user-stores.ts';

/** What the original frontend does with a token: atob the payload, JSON.parse it. */
const frontendDecode = (token: string) => JSON.parse(atob(token.split('.')[1]!)) as Record<string, unknown>;

/** Every error of these routes is `{ error: "<text>" }`: the frontend renders it as is. */
function expectCompatError(res: LightMyRequestResponse, status: number, message?: RegExp | string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<Record<string, unknown>>();
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error).toBe('string');
  expect((body.error as string).length).toBeGreaterThan(0);
  if (message !== undefined) expect(body.error).toMatch(message);
}

describe.each(userStoreCases)("the original frontend's auth routes with the %s user store", (_kind, open) => {
  let h: AuthHarness;
  let verifier: TokenVerifier;
  let n = 0;
  const unique = (base: string) => `${base}${++n}c${process.pid % 1000}`;
  const register = (body: unknown) => h.post('/register', body);
  const login = (email: string, password: string, extra = {}) => h.post('/login', { email, password }, extra);

  async function registered(base = 'fe') {
    const username = unique(base);
    const account = { email: `${username.toLowerCase()}@example.com`, username, password: `pw-${username}-secret` };
    const res = await register(account);
    expect(res.statusCode, res.body).toBe(200);
    return account;
  }

  beforeAll(async () => {
    h = await startAuth(open, `auth_compat_${process.pid}_${Date.now()}`);
    const jwks = (await h.app.inject('/.well-known/jwks.json')).json<JSONWebKeySet>();
    verifier = createTokenVerifier({ issuer: h.config.JWT_ISSUER, audience: h.config.JWT_AUDIENCE }, jwks);
  });
  afterAll(async () => {
    await h?.close();
  });

  describe('POST /register', () => {
    it('creates an account: 200 {message}; it logs in on both APIs', async () => {
      const account = await registered('reg');
      expect((await register({ ...account, email: 'other@example.com' })).json()).toEqual({ error: 'username is already taken' });
      expect((await login(account.email, account.password)).statusCode).toBe(200);
      await h.login(account);
    });

    it('ignores fields it does not know, as the original did', async () => {
      const username = unique('extra');
      const res = await register({ email: `${username}@example.com`, username, password: 'long enough', confirmPassword: 'long enough' });
      expect(res.json()).toEqual({ message: 'Registration successful' });
    });

    it.each([
      ['a 6-character password (the original allowed it; our policy wants 8)', { password: 'abcdef' }, /at least 8 characters/],
      ['the username as the password', { password: 'SAMENAME1', username: 'samename1' }, /username/],
      ['a 1-character username', { username: 'x' }, /username/],
      ['a username with a space', { username: 'a b' }, /username/],
      ['a 33-character username', { username: 'u'.repeat(33) }, /username/],
      ['a guest- username', { username: 'guest-abc123' }, /reserved/],
      ['an email without @', { email: 'nobody.example.com' }, /email/],
      ['a taken email', { email: 'TAKEN@example.com' }, /email is already taken/],
    ])('refuses %s with 400 {error: string}', async (_what, change, message) => {
      if (message.source.includes('email is already')) await register({ email: 'taken@example.com', username: unique('taken'), password: 'long enough' });
      const base = { email: `${unique('bad')}@example.com`, username: unique('bad'), password: 'long enough pw' };
      expectCompatError(await register({ ...base, ...change }), 400, message);
    });

    it.each([
      ['a missing field', { payload: { email: 'a@example.com', password: 'long enough' } }, 400, 'body must have required properties username'],
      ['a number for the password', { payload: { email: 'a@example.com', username: 'abc', password: 12345678 } }, 400, 'body/password must be string'],
      ['a JSON array', { payload: [1] }, 400, 'body must be object'],
      ['malformed JSON', { payload: '{"email":', headers: { 'content-type': 'application/json' } }, 400],
      ['an empty body', { payload: '', headers: { 'content-type': 'application/json' } }, 400],
      ['a form-encoded body', { payload: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415],
      ['a body over 64 KiB', { payload: { email: 'a@example.com', username: 'abc', password: 'x'.repeat(70_000) } }, 413],
    ] as [string, object, number, string?][])('answers %s with {error: string}', async (_what, request, status, message) => {
      expectCompatError(await h.app.inject({ method: 'POST', url: '/register', ...request }), status, message);
    });
  });

  describe('POST /login', () => {
    it('answers {token, user} and sets the HttpOnly token cookie for 24 h, not Secure on plain http', async () => {
      const account = await registered('in');
      const res = await login(account.email, account.password);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json<{ token: string; user: Record<string, unknown> }>();
      const id = (await h.store.users.findByLogin(account.username))!.id;
      expect(body.user).toEqual({ id, username: account.username, email: account.email, isAdmin: false });
      expect(setCookie(res, 'token')).toEqual({ value: body.token, 'max-age': '86400', path: '/', httponly: true, samesite: 'Lax' });
      expect(setCookie(await login(account.email, account.password, { headers: { 'x-forwarded-proto': 'https' } }), 'token')?.secure).toBe(true);
    });

    it('hands out a token the frontend decodes with atob and every service verifies', async () => {
      const account = await registered('claims');
      const { token } = (await login(account.username, account.password)).json<{ token: string }>();
      const claims = frontendDecode(token);
      const id = (await h.store.users.findByLogin(account.username))!.id;
      expect(claims).toEqual({
        user_id: id,
        email: account.email,
        username: account.username,
        isAdmin: false,
        sub: id,
        name: account.username,
        roles: [],
        iss: 'chatorbit',
        aud: 'chatorbit',
        iat: expect.any(Number),
        exp: expect.any(Number),
        jti: expect.any(String),
      });
      expect((claims.exp as number) - (claims.iat as number)).toBe(86_400);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', kid: h.signer.kid });
      expect(await verifier.verify(token)).toEqual({ userId: id, name: account.username, roles: [] });
    });

    it('escapes names a migrated account may have, so atob and JSON.parse round-trip', async () => {
      for (const username of ['Zoë>?~', 'ü~~>>??', '日本語の名前', 'x😀y', 'a\u007fb']) {
        const email = `${unique('intl')}@example.com`;
        // Accounts of the original service may carry names our sign-up would refuse: written as a migration would.
        const user = await h.store.users.create({ username, email, passwordHash: await fastHasher.hash('migrated password') });
        const res = await login(email, 'migrated password');
        expect(res.statusCode).toBe(200);
        const { token } = res.json<{ token: string }>();
        const payload = token.split('.')[1]!;
        expect(payload).not.toMatch(/[-_]/);
        expect(atob(payload)).toMatch(/^[\x20-\x7e]*$/);
        expect(frontendDecode(token)).toMatchObject({ user_id: user.id, username, name: username, email });
        expect(await verifier.verify(token)).toEqual({ userId: user.id, name: username, roles: [] });
      }
    });

    it('marks admins isAdmin in the token and the user', async () => {
      const account = await registered('boss');
      const id = (await h.store.users.findByLogin(account.username))!.id;
      await h.store.users.setRoles(id, ['admin']);
      const body = (await login(account.email, account.password)).json<{ token: string; user: { isAdmin: boolean } }>();
      expect(body.user.isAdmin).toBe(true);
      expect(frontendDecode(body.token)).toMatchObject({ isAdmin: true, roles: ['admin'] });
    });

    it('refuses a wrong password and an unknown email alike: 401 {error: string}, no cookie', async () => {
      const account = await registered('wrong');
      const wrong = await login(account.email, 'not the password');
      const unknown = await login('nobody@example.com', account.password);
      expectCompatError(wrong, 401, 'invalid login or password');
      expect(unknown.body).toBe(wrong.body);
      expect(setCookie(wrong, 'token')).toBeUndefined();
    });

    it('refuses a deactivated account (with the right password) with 403 {error: string}', async () => {
      const account = await registered('off');
      await h.store.users.setDeactivated((await h.store.users.findByLogin(account.username))!.id, true);
      expectCompatError(await login(account.email, account.password), 403, 'this account is deactivated');
    });

    it('is throttled as the native login: 429 {error: string} with Retry-After', async () => {
      const account = await registered('slow');
      const from = { remoteAddress: '10.7.0.1' };
      for (let i = 0; i < 6; i++) expect((await login(account.email, `wrong-${i}`, from)).statusCode).toBe(401);
      const res = await login(account.email, account.password, from);
      expectCompatError(res, 429, /too many login attempts; try again in \d+ s/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    });
  });

  describe('POST /change-password', () => {
    it('changes the password, authenticated by the token cookie; refresh tokens of the account are revoked', async () => {
      const account = await registered('chg');
      const native = await h.login(account);
      const { token } = (await login(account.email, account.password)).json<{ token: string }>();
      const res = await h.post('/change-password', { old_password: account.password, new_password: 'my new password' }, { cookies: { token } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ message: 'Password changed successfully' });
      expect((await h.post('/api/v1/auth/refresh', { refreshToken: native.refreshToken })).statusCode).toBe(401);
      expect((await login(account.email, account.password)).statusCode).toBe(401);
      expect((await login(account.email, 'my new password')).statusCode).toBe(200);
    });

    it('takes a bearer token too', async () => {
      const account = await registered('chgb');
      const { token } = (await login(account.email, account.password)).json<{ token: string }>();
      const res = await h.post('/change-password', { old_password: account.password, new_password: 'my new password' }, { headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(200);
    });

    it.each([
      ['no token', () => ({}), { old_password: 'x', new_password: 'long enough' }, 401],
      ['a bad cookie', () => ({ cookies: { token: 'garbage' } }), { old_password: 'x', new_password: 'long enough' }, 401],
    ])('refuses %s with 401 {error: string}', async (_what, extra, body, status) => {
      expectCompatError(await h.post('/change-password', body, extra()), status);
    });

    it('refuses a wrong old password (403) and a weak new one (400), with {error: string}', async () => {
      const account = await registered('chgx');
      const { token } = (await login(account.email, account.password)).json<{ token: string }>();
      expectCompatError(await h.post('/change-password', { old_password: 'not it', new_password: 'my new password' }, { cookies: { token } }), 403, 'the current password is wrong');
      expectCompatError(await h.post('/change-password', { old_password: account.password, new_password: 'short' }, { cookies: { token } }), 400, /at least 8/);
      expectCompatError(await h.post('/change-password', { old_password: account.password }, { cookies: { token } }), 400);
      expect((await login(account.email, account.password)).statusCode).toBe(200);
    });
  });

  describe('POST /logout', () => {
    it.each([
      ['no body', {}],
      ['an empty JSON body', { headers: { 'content-type': 'application/json' }, payload: '' }],
      ['{}', { payload: {} }],
    ])('clears the token cookie with %s: 200', async (_what, request) => {
      const res = await h.app.inject({ method: 'POST', url: '/logout', cookies: { token: 'whatever' }, ...request });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ message: 'Logged out' });
      const cleared = setCookie(res, 'token')!;
      expect(cleared).toMatchObject({ value: '', path: '/', httponly: true, samesite: 'Lax' });
      expect(new Date(cleared.expires as string).getTime()).toBeLessThan(Date.now());
    });
  });

  it("a compat token works on the native API's authenticated routes", async () => {
    const account = await registered('both');
    const { token } = (await login(account.email, account.password)).json<{ token: string }>();
    expect((await h.post('/api/v1/auth/logout-all', undefined, { headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(204);
  });
});

describe("the original frontend's routes when a backend fails", () => {
  it.each([
    ['is unreachable: 503', Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoServerSelectionError' }), 503],
    ['throws something unexpected: 500', new Error('secret internals'), 500],
  ])('answer {error: string} when the database %s, never an internal message', async (_what, error, status) => {
    const store = await openMemoryUserStore('unused');
    const failing: UserStore = Object.assign(Object.create(store.users) as UserStore, {
      findByLogin: async () => {
        throw error;
      },
    });
    const h = await startAuth(openMemoryUserStore, 'unused', { store: { ...store, users: failing } });
    try {
      const res = await h.post('/login', { email: 'a@example.com', password: 'whatever-1' });
      expectCompatError(res, status);
      expect(res.body).not.toContain('secret internals');
      expect(res.body).not.toContain('ECONNREFUSED');
    } finally {
      await h.close();
    }
  });
});
