import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { MongoClient } from 'mongodb';
import { freePort } from '../testing/servers.ts';
import { createTokenSigner, createTokenVerifier, TokenVerifierUnavailableError, type TokenSigner } from '../tokens.ts';
import { createBaseApp } from './base-app.ts';
import { authPlugin, principalOf } from './auth.ts';

const settings = { issuer: 'chatorbit', audience: 'chatorbit' };
const principal = { userId: '0123456789abcdef01234567', name: 'alice', roles: [] };

/** A real JWKS over HTTP on loopback, and a port nothing listens on. */
let signer: TokenSigner;
let jwks: Server;
let jwksUrl: URL;
let deadUrl: URL;

beforeAll(async () => {
  signer = await createTokenSigner(settings);
  const port = await freePort();
  jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(signer.jwks())));
  await new Promise<void>((resolve) => jwks.listen(port, '127.0.0.1', resolve));
  jwksUrl = new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`);
  deadUrl = new URL(`http://127.0.0.1:${await freePort()}/.well-known/jwks.json`);
});
afterAll(() => jwks.close());

async function appWith(verifierUrl: URL, handler: () => Promise<Record<string, unknown>> = async () => ({ ok: true })) {
  const app = await createBaseApp('test', 'silent');
  await app.register(authPlugin, { verifier: createTokenVerifier(settings, verifierUrl) });
  app.get('/who', { preHandler: app.authenticate }, async (request) => ({ ...(await handler()), name: principalOf(request).name }));
  return app;
}

describe('when a backend is unreachable', () => {
  it('verifies tokens through a JWKS fetched over HTTP, and refuses bad ones with 401', async () => {
    const app = await appWith(jwksUrl);
    const ok = await app.inject({ url: '/who', headers: { authorization: `Bearer ${await signer.sign(principal, 60)}` } });
    expect(ok.json()).toEqual({ ok: true, name: 'alice' });
    const other = await createTokenSigner(settings);
    const bad = await app.inject({ url: '/who', headers: { authorization: `Bearer ${await other.sign(principal, 60)}` } });
    expect(bad.statusCode).toBe(401);
  });

  it('answers 503 unavailable, not 401, when the JWKS cannot be fetched: the token may be fine', async () => {
    await expect(createTokenVerifier(settings, deadUrl).verify(await signer.sign(principal, 60))).rejects.toBeInstanceOf(
      TokenVerifierUnavailableError,
    );
    const app = await appWith(deadUrl);
    const res = await app.inject({ url: '/who', headers: { authorization: `Bearer ${await signer.sign(principal, 60)}` } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toEqual({ error: { code: 'unavailable', message: expect.any(String) } });
  });

  it('answers 503 unavailable when MongoDB cannot be reached', async () => {
    const mongo = new MongoClient(`mongodb://127.0.0.1:${await freePort()}/`, { serverSelectionTimeoutMS: 300 });
    const app = await appWith(jwksUrl, () => mongo.db('x').collection('y').findOne({}).then(() => ({ ok: true })));
    const res = await app.inject({ url: '/who', headers: { authorization: `Bearer ${await signer.sign(principal, 60)}` } });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('unavailable');
    expect(res.body).not.toContain('127.0.0.1'); // no internals in the body
    await mongo.close();
  });
});
