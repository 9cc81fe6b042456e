import type { FastifyInstance } from 'fastify';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenSigner, createTokenVerifier, loadConfig, type TokenSigner } from '@chatorbit/shared';
import { authConfigSchema, buildAuthApp } from '../../auth/src/index.ts';
import { userStoreCases, type OpenUserStore } from '../../auth/src/testing/user-stores.ts';
import { buildUserApp } from './app.ts';
import { userConfigSchema } from './config.ts';

const config = loadConfig(userConfigSchema, { LOG_LEVEL: 'silent' });
const settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };

/** GET /user/:id, the original frontend's lookup (COMPAT.md), against accounts made by the real auth service. */
describe.each(userStoreCases)("the original API's GET /user/:id with the %s user store", (_kind, open) => {
  let store: OpenUserStore;
  let signer: TokenSigner;
  let auth: FastifyInstance;
  let app: FastifyInstance;
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };

  beforeAll(async () => {
    store = await open(`user_compat_${process.pid}_${Date.now()}`);
    signer = await createTokenSigner(settings);
    auth = await buildAuthApp(loadConfig(authConfigSchema, { LOG_LEVEL: 'silent' }), { users: store.users, signer });
    const jwks = (await auth.inject('/.well-known/jwks.json')).json<ReturnType<TokenSigner['jwks']>>();
    app = await buildUserApp(config, { users: store.users, verifier: createTokenVerifier(settings, jwks) });
    alice = await register('alice');
    bob = await register('Bob');
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await store?.close();
  });

  async function register(username: string) {
    const password = `${username}-password`;
    const signup = await auth.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { username, email: `${username.toLowerCase()}@example.com`, password } });
    expect(signup.statusCode).toBe(201);
    const login = await auth.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: username, password } });
    return { id: login.json().user.id as string, token: login.json().accessToken as string };
  }

  it('answers { id, name, email } with name = the username, for the token in the `token` cookie', async () => {
    const res = await app.inject({ url: `/user/${bob.id}`, headers: { cookie: `lang=en; token=${alice.token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: bob.id, name: 'Bob', email: 'bob@example.com' });
  });

  it('accepts a bearer token, and an id in upper-case hex', async () => {
    const res = await app.inject({ url: `/user/${alice.id.toUpperCase()}`, headers: { authorization: `Bearer ${bob.token}` } });
    expect(res.json()).toEqual({ id: alice.id, name: 'alice', email: 'alice@example.com' });
  });

  it.each([
    ['no token', {}],
    ['a bad cookie token', { cookie: 'token=not-a-jwt' }],
    ['an expired token', 'expired'],
  ] as const)('answers %s with 401 and { error: "<string>" }', async (_what, headers) => {
    const h = headers === 'expired' ? { cookie: `token=${await signer.sign({ userId: alice.id, name: 'alice', roles: [] }, -60)}` } : headers;
    const res = await app.inject({ url: `/user/${bob.id}`, headers: h });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: expect.any(String) });
  });

  it('answers an unknown id with 404 and a malformed one with 400, the error a string', async () => {
    const auth = { cookie: `token=${alice.token}` };
    const unknown = await app.inject({ url: `/user/${new ObjectId().toHexString()}`, headers: auth });
    expect([unknown.statusCode, unknown.json()]).toEqual([404, { error: 'user not found' }]);
    const malformed = await app.inject({ url: '/user/123', headers: auth });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({ error: expect.any(String) });
  });

  it('leaves the v1 routes their { error: { code, message } } bodies', async () => {
    const res = await app.inject({ url: `/api/v1/users/${bob.id}` });
    expect(res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });
});
