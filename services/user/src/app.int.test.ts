import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenSigner, createTokenVerifier, loadConfig, type TokenSigner } from '@chatorbit/shared';
// Tokens come from the real auth service, so this suite also pins the contract between the two.
import { authConfigSchema, buildAuthApp } from '../../auth/src/index.ts';
import { userStoreCases, type OpenUserStore } from '../../auth/src/testing/user-stores.ts';
import { buildUserApp } from './app.ts';
import { userConfigSchema } from './config.ts';

const config = loadConfig(userConfigSchema, { LOG_LEVEL: 'silent' });
const settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };

interface Account {
  id: string;
  username: string;
  token: string;
}

describe.each(userStoreCases)('user service with the %s user store', (_kind, open) => {
  let store: OpenUserStore;
  let signer: TokenSigner;
  let auth: FastifyInstance;
  let app: FastifyInstance;
  let alice: Account;
  let bob: Account;

  beforeAll(async () => {
    store = await open(`user_test_${process.pid}_${Date.now()}`);
    signer = await createTokenSigner(settings);
    auth = await buildAuthApp(loadConfig(authConfigSchema, { LOG_LEVEL: 'silent' }), { users: store.users, signer });
    const jwks = (await auth.inject('/.well-known/jwks.json')).json<ReturnType<TokenSigner['jwks']>>();
    app = await buildUserApp(config, { users: store.users, verifier: createTokenVerifier(settings, jwks) });
    alice = await register('Alice');
    bob = await register('bob');
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await store?.close();
  });

  async function register(username: string): Promise<Account> {
    const credentials = { username, email: `${username}@example.com`, password: `${username}-password` };
    const signup = await auth.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: credentials });
    expect(signup.statusCode).toBe(201);
    const login = await auth.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: username, password: credentials.password },
    });
    expect(login.statusCode).toBe(200);
    const { accessToken, user } = login.json();
    return { id: user.id, username, token: accessToken };
  }

  const get = (url: string, token?: string) =>
    app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  const publicView = (a: Account) => ({ id: a.id, username: a.username, displayName: null, color: null, avatarUrl: null, createdAt: expect.any(String) });

  describe('GET /api/v1/users/me', () => {
    it("returns the token holder's public view, never email or password hash", async () => {
      const res = await get('/api/v1/users/me', alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(publicView(alice));
      expect(Object.keys(res.json()).sort()).toEqual(['avatarUrl', 'color', 'createdAt', 'displayName', 'id', 'username']);
      expect(Number.isNaN(Date.parse(res.json().createdAt))).toBe(false);
    });

    it('answers 404 for a valid token whose account does not exist', async () => {
      const ghost = await signer.sign({ userId: new ObjectId().toHexString(), name: 'ghost', roles: [] }, 60);
      const res = await get('/api/v1/users/me', ghost);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    });
  });

  describe('GET /api/v1/users/:id', () => {
    it("returns another account's public view", async () => {
      const res = await get(`/api/v1/users/${bob.id}`, alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(publicView(bob));
      expect(res.body).not.toContain('@example.com');
      expect(res.body).not.toContain('scrypt');
    });

    it('accepts the id in upper-case hex', async () => {
      const res = await get(`/api/v1/users/${bob.id.toUpperCase()}`, alice.token);
      expect(res.statusCode).toBe(200);
      expect(res.json().id).toBe(bob.id);
    });

    it('answers 404 not_found for an unknown id', async () => {
      const res = await get(`/api/v1/users/${new ObjectId().toHexString()}`, alice.token);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'not_found', message: 'user not found' } });
    });

    it.each([['123'], ['z'.repeat(24)], ['a'.repeat(25)], ['a'.repeat(23)], [`${'a'.repeat(23)}%20`]])(
      'answers 400 invalid_params for the id %j',
      async (id) => {
        const res = await get(`/api/v1/users/${id}`, alice.token);
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toEqual({ code: 'invalid_params', message: expect.any(String) });
      },
    );
  });

  describe('authentication', () => {
    const otherKeyPem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

    const badTokens: [string, () => Promise<string | undefined>][] = [
      ['no token', async () => undefined],
      ['a token that is not a JWT', async () => 'not-a-jwt'],
      ['a token with a tampered payload', async () => tamper(alice.token, bob.id)],
      ['an expired token', async () => signer.sign({ userId: alice.id, name: alice.username, roles: [] }, -60)],
      [
        'a token signed with an unknown key',
        async () => (await createTokenSigner(settings)).sign({ userId: alice.id, name: alice.username, roles: [] }, 60),
      ],
      [
        'a token for another audience',
        async () =>
          (await createTokenSigner({ ...settings, audience: 'elsewhere' }, otherKeyPem)).sign(
            { userId: alice.id, name: alice.username, roles: [] },
            60,
          ),
      ],
    ];

    it.each(badTokens)('rejects %s with 401 on every route', async (_what, makeToken) => {
      const token = await makeToken();
      for (const url of ['/api/v1/users/me', `/api/v1/users/${bob.id}`, '/api/v1/users/not-an-id']) {
        const res = await get(url, token);
        expect(res.statusCode, url).toBe(401);
        expect(res.json().error).toEqual({ code: 'unauthorized', message: expect.any(String) });
      }
    });

    it('rejects an Authorization header that is not a bearer token', async () => {
      const res = await app.inject({ url: '/api/v1/users/me', headers: { authorization: `Basic ${alice.token}` } });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('operations', () => {
    it('is alive and ready without a token', async () => {
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', checks: { mongo: 'ok' } });
    });

    it('labels request metrics with the route template, not the raw id', async () => {
      await get(`/api/v1/users/${bob.id}`, alice.token);
      const res = await app.inject('/metrics');
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/chatorbit_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/users\/:id"[^}]*status_code="200"/);
      expect(res.body).not.toContain(bob.id);
    });
  });
});

/** The token with its `sub` replaced and the original signature kept. */
function tamper(token: string, sub: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  return [header, Buffer.from(JSON.stringify({ ...claims, sub })).toString('base64url'), signature].join('.');
}
