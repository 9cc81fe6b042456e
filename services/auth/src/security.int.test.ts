// Attacks on tokens and sessions, each its own case, each refused everywhere a token is checked:
// by another service's verifier (remote JWKS over HTTP, as chat and user verify), by auth's own
// bearer routes, and by the original frontend's cookie route.
import type { AddressInfo } from 'node:net';
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenVerifierUnavailableError, createTokenSigner, createTokenVerifier, type TokenSigner, type TokenVerifier } from '@chatorbit/shared';
import { startAuth, testConfig, type Account, type AuthHarness, type LoginBody } from './testing/auth-app.ts';
import { newKeyPem } from './testing/key-files.ts';
import { userStoreCases } from './testing/user-stores.ts';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

describe.each(userStoreCases)('security with the %s user store', (_kind, open) => {
  const config = testConfig();
  const settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  // The signing key is ours in this test, so tokens can be forged with it as only a key thief could.
  const pem = newKeyPem();
  let signer: TokenSigner;
  let h: AuthHarness;
  let remote: TokenVerifier;
  let jwks: JSONWebKeySet;
  let alice: Account;
  let session: LoginBody;
  const claims = () => ({ sub: alice.id, name: alice.username, roles: ['admin'], iss: settings.issuer, aud: settings.audience, iat: now(), exp: now() + 600, jti: 'x' });

  beforeAll(async () => {
    signer = await createTokenSigner(settings, pem);
    h = await startAuth(open, `auth_security_${process.pid}_${Date.now()}`, { signer });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const jwksUrl = new URL(`http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/.well-known/jwks.json`);
    remote = createTokenVerifier(settings, jwksUrl);
    jwks = (await h.app.inject('/.well-known/jwks.json')).json();
    alice = await h.newAccount('alice');
    session = await h.login(alice);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Every place that checks a token refuses this one as invalid (not as "keys unavailable"). */
  async function expectRefused(token: string) {
    const err = await remote.verify(token).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the remote JWKS verifier accepted it').toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(TokenVerifierUnavailableError);
    const bearer = await h.post('/api/v1/auth/logout-all', undefined, { headers: { authorization: `Bearer ${token}` } });
    expect(bearer.statusCode).toBe(401);
    expect(bearer.json()).toEqual({ error: { code: 'unauthorized', message: 'the access token is invalid or expired' } });
    const cookie = await h.post('/change-password', { old_password: alice.password, new_password: 'hijacked password' }, { cookies: { token } });
    expect(cookie.statusCode).toBe(401);
    expect(cookie.json()).toEqual({ error: 'the access token is invalid or expired' });
  }

  it('accepts a genuine token everywhere (the control: the refusals below are not for some other reason)', async () => {
    await expect(remote.verify(session.accessToken)).resolves.toEqual({ userId: alice.id, name: alice.username, roles: [] });
    const genuine = await signer.sign({ userId: alice.id, name: alice.username, roles: [] }, 600);
    const res = await h.post('/change-password', { old_password: alice.password, new_password: alice.password }, { cookies: { token: genuine } });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('refuses alg "none"', async () => {
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`);
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT', kid: signer.kid })}.${b64(claims())}.${b64('x')}`);
  });

  it('refuses HS256 keyed with the public key (algorithm confusion)', async () => {
    const jwk = jwks.keys[0]!;
    const publicPem = createPublicKey(pem).export({ format: 'pem', type: 'spki' }).toString();
    for (const secret of [Buffer.from(jwk.x!, 'base64url'), Buffer.from(publicPem), Buffer.from(JSON.stringify(jwk)), Buffer.from(JSON.stringify(jwks))]) {
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: signer.kid })}.${b64(claims())}`;
      await expectRefused(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`);
    }
  });

  it('refuses an expired token', async () => {
    await expectRefused(await signer.sign({ userId: alice.id, name: alice.username, roles: [] }, -1));
  });

  it('refuses a token of another issuer, signed with the right key', async () => {
    const other = await createTokenSigner({ ...settings, issuer: 'someone-else' }, pem);
    await expectRefused(await other.sign({ userId: alice.id, name: alice.username, roles: [] }, 600));
  });

  it('refuses a token for another audience, signed with the right key', async () => {
    const other = await createTokenSigner({ ...settings, audience: 'another-product' }, pem);
    await expectRefused(await other.sign({ userId: alice.id, name: alice.username, roles: [] }, 600));
  });

  it('refuses a tampered payload (roles raised to admin, signature kept)', async () => {
    const [header, payload, signature] = session.accessToken.split('.') as [string, string, string];
    const raised = { ...(JSON.parse(Buffer.from(payload, 'base64url').toString()) as object), roles: ['admin'] };
    await expectRefused(`${header}.${b64(raised)}.${signature}`);
    // One flipped bit of the signature.
    const sig = Buffer.from(signature, 'base64url');
    sig[0]! ^= 1;
    await expectRefused(`${header}.${payload}.${sig.toString('base64url')}`);
  });

  it('refuses an unknown kid, a missing kid, and our kid on a signature by another key', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const forge = (header: { alg: 'EdDSA'; kid?: string }) =>
      new SignJWT({ name: alice.username, roles: ['admin'] })
        .setProtectedHeader(header)
        .setSubject(alice.id).setIssuer(settings.issuer).setAudience(settings.audience).setIssuedAt().setExpirationTime('10m')
        .sign(privateKey);
    await expectRefused(await forge({ alg: 'EdDSA', kid: 'not-a-key-we-publish' }));
    await expectRefused(await forge({ alg: 'EdDSA' }));
    await expectRefused(await forge({ alg: 'EdDSA', kid: signer.kid }));
  });

  it('refuses a token without exp, even signed with the right key', async () => {
    const forged = await new SignJWT({ name: alice.username, roles: [] })
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid })
      .setSubject(alice.id).setIssuer(settings.issuer).setAudience(settings.audience).setIssuedAt()
      .sign(createPrivateKey(pem));
    await expectRefused(forged);
  });

  it('refuses a refresh token as an access token, and garbage', async () => {
    await expectRefused(session.refreshToken!);
    await expectRefused('a.b.c');
    await expectRefused(`${session.accessToken}x`);
  });

  it('refuses an access token as a refresh token', async () => {
    const res = await h.post('/api/v1/auth/refresh', { refreshToken: session.accessToken.slice(0, 128) });
    expect(res.statusCode).toBe(401);
  });

  it('revokes the whole session when a refresh token is reused', async () => {
    const bob = await h.newAccount('bob');
    const stolen = await h.login(bob);
    const legit = (await h.post('/api/v1/auth/refresh', { refreshToken: stolen.refreshToken })).json<LoginBody>();
    // The thief replays the copy: refused, and the legitimate successor dies with the session.
    expect((await h.post('/api/v1/auth/refresh', { refreshToken: stolen.refreshToken })).statusCode).toBe(401);
    expect((await h.post('/api/v1/auth/refresh', { refreshToken: legit.refreshToken })).statusCode).toBe(401);
  });

  it("refuses a deactivated user's login, on both APIs", async () => {
    const carol = await h.newAccount('carol');
    await h.store.users.setDeactivated(carol.id, true);
    const native = await h.post('/api/v1/auth/login', { login: carol.username, password: carol.password });
    expect(native.statusCode).toBe(403);
    expect(native.json()).toEqual({ error: { code: 'account_deactivated', message: 'this account is deactivated' } });
    const compat = await h.post('/login', { email: carol.email, password: carol.password });
    expect(compat.statusCode).toBe(403);
    expect(compat.json()).toEqual({ error: 'this account is deactivated' });
  });

  it("refuses a deactivated user's refresh, and revokes the session", async () => {
    const dave = await h.newAccount('dave');
    const s = await h.login(dave);
    await h.store.users.setDeactivated(dave.id, true);
    const res = await h.post('/api/v1/auth/refresh', { refreshToken: s.refreshToken });
    expect(res.statusCode).toBe(401);
    await h.store.users.setDeactivated(dave.id, false);
    expect((await h.post('/api/v1/auth/refresh', { refreshToken: s.refreshToken })).statusCode).toBe(401);
  });

  it("refuses a deactivated user's password change made with a token issued before", async () => {
    const erin = await h.newAccount('erin');
    const s = await h.login(erin);
    await h.store.users.setDeactivated(erin.id, true);
    const res = await h.post('/api/v1/auth/password', { currentPassword: erin.password, newPassword: 'a new password' }, { headers: { authorization: `Bearer ${s.accessToken}` } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('account_deactivated');
  });

  it('refuses a guest token on account routes', async () => {
    const { accessToken } = (await h.post('/api/v1/auth/guest')).json<{ accessToken: string }>();
    const res = await h.post('/api/v1/auth/password', { currentPassword: 'whatever-1', newPassword: 'whatever-2' }, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(res.statusCode).toBe(403);
    expect((await h.post('/change-password', { old_password: 'x', new_password: 'whatever-2' }, { cookies: { token: accessToken } })).statusCode).toBe(403);
  });
});
