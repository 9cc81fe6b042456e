import type { FastifyInstance, InjectOptions } from 'fastify';
import { decodeJwt, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenSigner, createTokenVerifier, loadConfig, type UserStore } from '@chatorbit/shared';
import { buildAuthApp } from './app.ts';
import { authConfigSchema } from './config.ts';
import { fastHasher } from './testing/auth-app.ts';
import { userStoreCases, type OpenUserStore } from './testing/user-stores.ts';

const config = loadConfig(authConfigSchema, { LOG_LEVEL: 'silent' });
const settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
const INVALID_LOGIN = { error: { code: 'unauthorized', message: 'invalid login or password' } };

describe.each(userStoreCases)('auth service with the %s user store', (_kind, open) => {
  let store: OpenUserStore;
  let users: UserStore;
  let app: FastifyInstance;
  let n = 0;
  /** A username no other test in this file uses. */
  const unique = (base: string) => `${base}${++n}`;

  beforeAll(async () => {
    store = await open(`auth_test_${process.pid}_${Date.now()}`);
    users = store.users;
    app = await buildAuthApp(config, { users, sessions: store.sessions, signer: await createTokenSigner(settings), passwords: fastHasher });
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  const post = (url: string, payload: unknown, extra: Partial<InjectOptions> = {}) =>
    app.inject({ method: 'POST', url, payload: payload as InjectOptions['payload'], ...extra });
  const signup = (body: unknown) => post('/api/v1/auth/signup', body);
  const login = (body: unknown) => post('/api/v1/auth/login', body);

  async function newAccount(base = 'user') {
    const username = unique(base);
    const account = { username, email: `${username.toLowerCase()}@example.com`, password: `pw-${username}-secret` };
    const res = await signup(account);
    expect(res.statusCode).toBe(201);
    return { ...account, id: res.json<{ user: { id: string } }>().user.id };
  }

  describe('POST /api/v1/auth/signup', () => {
    it('creates an account: 201 with the public view only', async () => {
      const before = Date.now();
      const res = await signup({ username: 'Alice.W_1', email: 'alice@example.com', password: 'wonderland!' });
      expect(res.statusCode).toBe(201);
      const { user } = res.json();
      expect(Object.keys(user).sort()).toEqual(['avatarUrl', 'color', 'createdAt', 'displayName', 'id', 'username']);
      expect(user.id).toMatch(/^[0-9a-f]{24}$/);
      expect(user.username).toBe('Alice.W_1');
      expect(Date.parse(user.createdAt)).toBeGreaterThanOrEqual(before - 1000);

      const stored = await users.findById(user.id);
      expect(stored).toMatchObject({ username: 'Alice.W_1', email: 'alice@example.com' });
      expect(stored?.passwordHash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(stored?.passwordHash).not.toContain('wonderland');
    });

    it('rejects a username taken in any letter case with 409, storing nothing', async () => {
      const taken = await newAccount('Bob');
      const res = await signup({ username: taken.username.toUpperCase(), email: 'other-bob@example.com', password: 'another-pass' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({ error: { code: 'conflict', message: 'username is already taken' } });
      expect(await users.findByLogin('other-bob@example.com')).toBeUndefined();
    });

    it('rejects an email taken in any letter case with 409, storing nothing', async () => {
      const taken = await newAccount('carol');
      const username = unique('carol-two');
      const res = await signup({ username, email: taken.email.toUpperCase(), password: 'another-pass' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({ error: { code: 'conflict', message: 'email is already taken' } });
      expect(await users.findByLogin(username)).toBeUndefined();
      expect((await users.findByLogin(taken.email))?.id).toBe(taken.id);
    });

    it('lets exactly one of several concurrent signups for one username win', async () => {
      const username = unique('race');
      const results = await Promise.all(
        [1, 2, 3, 4].map((i) => signup({ username, email: `${username}-${i}@example.com`, password: 'race-password' })),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409]);
    });

    const valid = { username: 'dave', email: 'dave@example.com', password: 'dave-password' };
    const badBodies: [string, Partial<InjectOptions>, number, string][] = [
      ['a missing field', { payload: { username: 'dave', email: 'dave@example.com' } }, 400, 'invalid_body'],
      ['a number for the username', { payload: { ...valid, username: 12345 } }, 400, 'invalid_body'],
      ['a number for the password', { payload: { ...valid, password: 123456789 } }, 400, 'invalid_body'],
      ['an extra property', { payload: { ...valid, admin: true } }, 400, 'invalid_body'],
      ['a 7-character password', { payload: { ...valid, password: 'x'.repeat(7) } }, 400, 'invalid_body'],
      ['a 257-character password', { payload: { ...valid, password: 'x'.repeat(257) } }, 400, 'invalid_body'],
      ['the username as the password', { payload: { ...valid, password: 'DAVE_pass', username: 'dave_PASS' } }, 400, 'invalid_body'],
      ['a space in the username', { payload: { ...valid, username: 'da ve' } }, 400, 'invalid_body'],
      ['an @ in the username', { payload: { ...valid, username: 'dave@home' } }, 400, 'invalid_body'],
      ['a 1-character username', { payload: { ...valid, username: 'd' } }, 400, 'invalid_body'],
      ['a 33-character username', { payload: { ...valid, username: 'd'.repeat(33) } }, 400, 'invalid_body'],
      ['an email without @', { payload: { ...valid, email: 'dave.example.com' } }, 400, 'invalid_body'],
      ['an email over 254 characters', { payload: { ...valid, email: `${'d'.repeat(64)}@${'e'.repeat(190)}.com` } }, 400, 'invalid_body'],
      ['a JSON array', { payload: [valid] }, 400, 'invalid_body'],
      ['JSON null', { payload: 'null', headers: { 'content-type': 'application/json' } }, 400, 'invalid_body'],
      ['malformed JSON', { payload: '{"username": "dave",', headers: { 'content-type': 'application/json' } }, 400, 'invalid_body'],
      ['an empty JSON body', { payload: '', headers: { 'content-type': 'application/json' } }, 400, 'invalid_body'],
      ['a form-encoded body', { payload: 'username=dave', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported_media_type'],
      ['a body over 64 KiB', { payload: { ...valid, padding: 'x'.repeat(64 * 1024) } }, 413, 'payload_too_large'],
    ];

    it.each(badBodies)('rejects %s with {error:{code,message}}, storing nothing', async (_what, request, status, code) => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/signup', ...request });
      expect(res.statusCode).toBe(status);
      const body = res.json();
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error.code).toBe(code);
      expect(body.error.message).toEqual(expect.any(String));
      expect(body.error.message.length).toBeGreaterThan(0);
      expect(await users.findByLogin('dave')).toBeUndefined();
      expect(await users.findByLogin('dave_pass')).toBeUndefined();
    });
  });

  describe('POST /api/v1/auth/login', () => {
    let jwks: JSONWebKeySet;
    beforeAll(async () => {
      jwks = (await app.inject('/.well-known/jwks.json')).json();
    });

    it.each([
      ['username', (a: { username: string }) => a.username],
      ['username in another case', (a: { username: string }) => a.username.toUpperCase()],
      ['email', (a: { email: string }) => a.email],
      ['email in another case', (a: { email: string }) => a.email.toUpperCase()],
    ])('issues an EdDSA token with a kid for the %s', async (_how, loginOf) => {
      const account = await newAccount('erin');
      const res = await login({ login: loginOf(account), password: account.password });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json();
      expect(body).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        refreshExpiresIn: 30 * 86_400,
        user: { id: account.id, username: account.username, displayName: null, color: null, avatarUrl: null, createdAt: expect.any(String) },
      });
      expect(res.headers['set-cookie']).toBeUndefined();

      const header = decodeProtectedHeader(body.accessToken);
      expect(header.alg).toBe('EdDSA');
      expect(header.kid).toBe(jwks.keys[0]?.kid);
      const claims = decodeJwt(body.accessToken);
      expect(claims.exp! - claims.iat!).toBe(900);
      expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'name', 'roles', 'sub']);

      const principal = await createTokenVerifier(settings, jwks).verify(body.accessToken);
      expect(principal).toEqual({ userId: account.id, name: account.username, roles: [] });
    });

    it('answers a wrong password and an unknown login with the same 401', async () => {
      const account = await newAccount('frank');
      const attempts = [
        { login: account.username, password: `${account.password}x` },
        { login: account.email, password: 'not-the-password' },
        { login: 'nobody-here', password: account.password },
        { login: 'nobody@example.com', password: account.password },
      ];
      for (const attempt of attempts) {
        const res = await login(attempt);
        expect(res.statusCode, JSON.stringify(attempt)).toBe(401);
        expect(res.json()).toEqual(INVALID_LOGIN);
        expect(res.headers['www-authenticate']).toBeUndefined();
      }
    });

    it.each([
      ['a missing password', { login: 'someone' }],
      ['an empty login', { login: '', password: 'whatever-1' }],
      ['an extra property', { login: 'someone', password: 'whatever-1', remember: true }],
      ['a number for the password', { login: 'someone', password: 12345678 }],
    ])('rejects %s with 400 invalid_body', async (_what, body) => {
      const res = await login(body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('invalid_body');
    });
  });

  describe('GET /.well-known/jwks.json', () => {
    it('publishes the public key only, cacheable for 5 minutes', async () => {
      const res = await app.inject('/.well-known/jwks.json');
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      const { keys } = res.json<JSONWebKeySet>();
      expect(keys).toHaveLength(1);
      expect(keys[0]).toEqual({
        kty: 'OKP',
        crv: 'Ed25519',
        x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        kid: expect.any(String),
        alg: 'EdDSA',
        use: 'sig',
      });
      expect(keys[0]).not.toHaveProperty('d');
    });
  });

  describe('operations', () => {
    it('is alive and ready', async () => {
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', checks: { mongo: 'ok' } });
    });

    it('counts requests by route template', async () => {
      await login({ login: 'nobody-metrics', password: 'whatever-1' });
      const metrics = (await app.inject('/metrics')).body;
      expect(metrics).toContain('chatorbit_http_request_duration_seconds_count');
      expect(metrics).toMatch(/chatorbit_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/auth\/login"[^}]*status_code="401"/);
    });

    it('survives a restart: init() again on existing data', async () => {
      const account = await newAccount('restart');
      await users.init();
      expect((await users.findByLogin(account.username))?.id).toBe(account.id);
      const res = await signup({ username: account.username, email: 'restart-again@example.com', password: 'restart-pass' });
      expect(res.statusCode).toBe(409);
    });

    it('serves an OpenAPI 3.1 document of every auth route, with examples, public routes without bearer security', async () => {
      const res = await app.inject('/openapi.json');
      expect(res.statusCode).toBe(200);
      type Op = { summary?: string; security?: unknown[]; requestBody?: { content: Record<string, { example?: unknown; examples?: unknown }> } };
      const doc = res.json<{ openapi: string; paths: Record<string, Record<string, Op>> }>();
      expect(doc.openapi).toBe('3.1.0');
      // path, method, open to anyone (no bearer), takes a body
      const routes: [string, string, boolean, boolean][] = [
        ['/api/v1/auth/signup', 'post', true, true],
        ['/api/v1/auth/login', 'post', true, true],
        ['/api/v1/auth/refresh', 'post', true, true],
        ['/api/v1/auth/logout', 'post', true, true],
        ['/api/v1/auth/logout-all', 'post', false, false],
        ['/api/v1/auth/password', 'post', false, true],
        ['/api/v1/auth/guest', 'post', true, false],
        ['/.well-known/jwks.json', 'get', true, false],
        ['/register', 'post', true, true],
        ['/login', 'post', true, true],
        ['/change-password', 'post', false, true],
        ['/logout', 'post', true, false],
      ];
      for (const [path, method, open, hasBody] of routes) {
        const op = doc.paths[path]?.[method];
        expect(op?.summary, `${method} ${path}`).toEqual(expect.any(String));
        if (open) expect(op?.security, `${method} ${path}`).toEqual([]);
        else if (path === '/change-password') expect(op?.security).toEqual([{ bearer: [] }, { tokenCookie: [] }]);
        else expect(op?.security, `${method} ${path}`).toBeUndefined();
        const body = op?.requestBody?.content['application/json'];
        if (hasBody) expect(body?.example ?? body?.examples, `${method} ${path}`).toBeDefined();
        else expect(body, `${method} ${path}`).toBeUndefined();
      }
      expect(doc.paths['/api/v1/auth/login']!.post!.requestBody!.content['application/json']!).toMatchObject({
        examples: expect.anything(),
      });
    });

    it('answers unknown routes with 404 not_found', async () => {
      const res = await app.inject('/api/v1/auth/nope');
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    });
  });
});
