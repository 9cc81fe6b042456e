import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, decodeJwt } from 'jose';
import { createTokenSigner, createTokenVerifier, extractToken } from './tokens.ts';

const settings = { issuer: 'chatorbit', audience: 'chatorbit' };
const principal = { userId: '0123456789abcdef01234567', name: 'alice', roles: [] };

describe('tokens', () => {
  it('signs EdDSA tokens with a kid and the documented claims, verifiable through the JWKS', async () => {
    const signer = await createTokenSigner(settings);
    const token = await signer.sign(principal, 60);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: signer.kid, typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: principal.userId, name: 'alice', roles: [], iss: 'chatorbit', aud: 'chatorbit' });
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(typeof claims.jti).toBe('string');
    expect(signer.jwks().keys).toEqual([expect.objectContaining({ kid: signer.kid, kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' })]);
    expect(signer.jwks().keys[0]).not.toHaveProperty('d');
    await expect(createTokenVerifier(settings, signer.jwks()).verify(token)).resolves.toEqual(principal);
  });

  it('loads a PEM key, so every replica signs with the same key', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const [a, b] = [await createTokenSigner(settings, pem), await createTokenSigner(settings, pem)];
    expect(a.kid).toBe(b.kid);
    await expect(createTokenVerifier(settings, b.jwks()).verify(await a.sign(principal, 60))).resolves.toEqual(principal);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await expect(createTokenSigner(settings, rsa)).rejects.toThrow(/Ed25519/);
  });

  it('refuses tokens from another key, issuer or audience, expired ones and garbage', async () => {
    const signer = await createTokenSigner(settings);
    const verifier = createTokenVerifier(settings, signer.jwks());
    const other = await createTokenSigner(settings);
    await expect(verifier.verify(await other.sign(principal, 60))).rejects.toThrow();
    await expect(createTokenVerifier({ ...settings, issuer: 'else' }, signer.jwks()).verify(await signer.sign(principal, 60))).rejects.toThrow();
    await expect(createTokenVerifier({ ...settings, audience: 'else' }, signer.jwks()).verify(await signer.sign(principal, 60))).rejects.toThrow();
    const { privateKey } = generateKeyPairSync('ed25519');
    const expired = await new SignJWT({ name: 'a' })
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid })
      .setSubject('x').setIssuer('chatorbit').setAudience('chatorbit').setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(privateKey);
    await expect(verifier.verify(expired)).rejects.toThrow();
    await expect(verifier.verify('not.a.token')).rejects.toThrow();
  });

  it('extracts the bearer token before the query token', () => {
    expect(extractToken('Bearer abc', 'q')).toBe('abc');
    expect(extractToken('bearer  abc', null)).toBe('abc');
    expect(extractToken('Basic abc', 'q')).toBe('q');
    expect(extractToken(undefined, '')).toBeUndefined();
  });
});
