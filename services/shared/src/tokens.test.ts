import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, decodeJwt } from 'jose';
import { asciiSafeJson, createTokenSigner, createTokenVerifier, ed25519PublicJwk, extractToken } from './tokens.ts';

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

  it('publishes accepted keys next to the signing key, once each, and verifies their tokens', async () => {
    const pem = (k: ReturnType<typeof generateKeyPairSync>['privateKey']) => k.export({ format: 'pem', type: 'pkcs8' }).toString();
    const previous = generateKeyPairSync('ed25519');
    const next = generateKeyPairSync('ed25519');
    const oldSigner = await createTokenSigner(settings, pem(previous.privateKey));
    const current = pem(next.privateKey);
    const publicPem = previous.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    // The previous key as a public PEM, the signing key's own file among the accepted ones too.
    const signer = await createTokenSigner(settings, current, [publicPem, current, pem(previous.privateKey)]);
    expect(signer.jwks().keys.map((k) => k.kid)).toEqual([signer.kid, oldSigner.kid]);
    for (const key of signer.jwks().keys) expect(key).not.toHaveProperty('d');
    const verifier = createTokenVerifier(settings, signer.jwks());
    await expect(verifier.verify(await oldSigner.sign(principal, 60))).resolves.toEqual(principal);
    await expect(verifier.verify(await signer.sign(principal, 60))).resolves.toEqual(principal);
    expect(decodeProtectedHeader(await signer.sign(principal, 60)).kid).toBe(signer.kid);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    await expect(ed25519PublicJwk(rsa)).rejects.toThrow(/Ed25519/);
    await expect(createTokenSigner(settings, current, [rsa])).rejects.toThrow(/Ed25519/);
  });

  it('adds extra claims but never lets them replace the standard ones', async () => {
    const signer = await createTokenSigner(settings);
    const token = await signer.sign(principal, 60, { email: 'a@example.com', sub: 'forged', roles: ['admin'], iss: 'else', exp: 1 });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ email: 'a@example.com', sub: principal.userId, roles: [], iss: 'chatorbit' });
    expect(claims.exp! - claims.iat!).toBe(60);
    await expect(createTokenVerifier(settings, signer.jwks()).verify(token)).resolves.toEqual(principal);
  });

  it('writes payloads as ASCII without > ? ~, so their base64url never has - or _ and atob decodes them', async () => {
    const names = ['Zoë>?~', '🚀 ~~~???>>>', 'a\u007fb', '"quoted" \\ back\nslash', 'ÿþ', '\u2028\u2029', '\ud800 lone'];
    for (const name of names) {
      const json = asciiSafeJson({ name, nested: [name, { [name]: name }] });
      expect(json).toMatch(/^[\x20-\x3d\x40-\x7d]*$/);
      expect(JSON.parse(json)).toEqual({ name, nested: [name, { [name]: name }] });
    }
    const signer = await createTokenSigner(settings);
    // Every offset of the awkward characters within the 3-byte groups of base64.
    for (const pad of ['', 'x', 'xy']) {
      const name = `${pad}Zoë>?~\u007f${pad}`;
      const token = await signer.sign({ ...principal, name }, 60, { username: name });
      const payload = token.split('.')[1]!;
      expect(payload).not.toMatch(/[-_]/);
      const decoded = JSON.parse(atob(payload)) as { name: string; username: string };
      expect(decoded.name).toBe(name);
      expect(decoded.username).toBe(name);
      await expect(createTokenVerifier(settings, signer.jwks()).verify(token)).resolves.toEqual({ ...principal, name });
    }
  });

  it('refuses tokens without sub, iat or exp even when signed with the right key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = await ed25519PublicJwk(publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const verifier = createTokenVerifier(settings, { keys: [jwk] });
    const base = () => new SignJWT({ name: 'a' }).setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid }).setIssuer('chatorbit').setAudience('chatorbit');
    const inAMinute = Math.floor(Date.now() / 1000) + 60;
    await expect(verifier.verify(await base().setSubject('x').setIssuedAt().setExpirationTime(inAMinute).sign(privateKey))).resolves.toMatchObject({ userId: 'x' });
    await expect(verifier.verify(await base().setIssuedAt().setExpirationTime(inAMinute).sign(privateKey))).rejects.toThrow(/sub/);
    await expect(verifier.verify(await base().setSubject('x').setExpirationTime(inAMinute).sign(privateKey))).rejects.toThrow(/iat/);
    await expect(verifier.verify(await base().setSubject('x').setIssuedAt().sign(privateKey))).rejects.toThrow(/exp/);
  });

  it('extracts the bearer token before the query token', () => {
    expect(extractToken('Bearer abc', 'q')).toBe('abc');
    expect(extractToken('bearer  abc', null)).toBe('abc');
    expect(extractToken('Basic abc', 'q')).toBe('q');
    expect(extractToken(undefined, '')).toBeUndefined();
  });
});
