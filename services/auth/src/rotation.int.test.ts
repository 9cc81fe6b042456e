import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, type TokenSigner } from '@chatorbit/shared';
import { loadSigner } from './signing-key.ts';
import { startAuth, testConfig, type AuthHarness } from './testing/auth-app.ts';
import { newKeyPem, writeSecret } from './testing/key-files.ts';
import { userStoreCases, type OpenUserStore } from './testing/user-stores.ts';

describe.each(userStoreCases)('signing key rotation with the %s user store', (_kind, open) => {
  let dir: string;
  let store: OpenUserStore;
  let port = 0;
  let running: AuthHarness | undefined;
  /** JWKS fetches the running instance answered. */
  let jwksFetches = 0;
  const config = testConfig();
  const settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  const jwksUrl = () => new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'orbit-rotation-'));
    store = await open(`auth_rotation_${process.pid}_${Date.now()}`);
  });
  afterAll(async () => {
    await running?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Reads the Secret as an auth pod starting now would. */
  const signerFromSecret = () =>
    loadSigner({ ...config, JWT_PRIVATE_KEY_FILE: join(dir, 'signing.pem'), JWT_VERIFY_KEYS_DIR: dir });

  /** Stops the running auth instance and starts one with `signer` on the same address (a restarted pod behind one Service). */
  async function restartWith(signer: TokenSigner): Promise<AuthHarness> {
    await running?.close();
    running = await startAuth(open, 'unused', { store, signer });
    running.app.addHook('onRequest', async (request) => {
      if (request.url === '/.well-known/jwks.json') jwksFetches++;
    });
    await running.app.listen({ host: '127.0.0.1', port });
    port = (running.app.server.address() as AddressInfo).port;
    return running;
  }

  it('keeps old tokens valid after the new key becomes the signer; a remote verifier refetches on the unknown kid', async () => {
    const [oldKey, newKey] = [newKeyPem(), newKeyPem()];
    await writeSecret(dir, { 'signing.pem': oldKey });
    const before = await restartWith(await signerFromSecret());
    const account = await before.newAccount('rotor');
    const oldSession = await before.login(account);
    // Another service (chat, user) verifying through the published JWKS, as deployed.
    const remote = createTokenVerifier(settings, jwksUrl(), { cooldownMs: 0 });
    await expect(remote.verify(oldSession.accessToken)).resolves.toMatchObject({ userId: account.id });

    // The rotation: the new key signs, the old one stays accepted.
    await writeSecret(dir, { 'signing.pem': newKey, 'previous.pem': oldKey });
    const after = await restartWith(await signerFromSecret());
    const newSession = await after.login(account);
    expect(decodeProtectedHeader(newSession.accessToken).kid).not.toBe(decodeProtectedHeader(oldSession.accessToken).kid);
    await expect(remote.verify(newSession.accessToken)).resolves.toMatchObject({ userId: account.id });
    await expect(remote.verify(oldSession.accessToken)).resolves.toMatchObject({ userId: account.id });
    const fresh = createTokenVerifier(settings, jwksUrl());
    await expect(fresh.verify(oldSession.accessToken)).resolves.toMatchObject({ userId: account.id });
    await expect(fresh.verify(newSession.accessToken)).resolves.toMatchObject({ userId: account.id });
    // Auth's own routes accept the old key's tokens too, and the refresh tokens of before live on.
    const refreshed = await after.post('/api/v1/auth/refresh', { refreshToken: oldSession.refreshToken });
    expect(refreshed.statusCode).toBe(200);
    await expect(remote.verify(refreshed.json<{ accessToken: string }>().accessToken)).resolves.toMatchObject({ userId: account.id });
    const pw = await after.post(
      '/api/v1/auth/password',
      { currentPassword: account.password, newPassword: 'rotated password' },
      { headers: { authorization: `Bearer ${oldSession.accessToken}` } },
    );
    expect(pw.statusCode).toBe(204);

    // Retired once the old tokens have expired: the old key's tokens are refused from then on.
    await writeSecret(dir, { 'signing.pem': newKey });
    await restartWith(await signerFromSecret());
    const afterRetirement = createTokenVerifier(settings, jwksUrl());
    await expect(afterRetirement.verify(oldSession.accessToken)).rejects.toThrow();
    await expect(afterRetirement.verify(newSession.accessToken)).resolves.toMatchObject({ userId: account.id });
  });

  it('in two phases (publish, then sign), verifiers know the new key before its first token: no refetch at all', async () => {
    const [current, next] = [newKeyPem(), newKeyPem()];
    // Phase 1: the next key is published, the current one still signs.
    await writeSecret(dir, { 'signing.pem': current, 'next.pem': next });
    const phase1 = await restartWith(await signerFromSecret());
    expect(phase1.signer.jwks().keys).toHaveLength(2);
    const account = await phase1.newAccount('phased');
    const t1 = (await phase1.login(account)).accessToken;
    const remote = createTokenVerifier(settings, jwksUrl()); // default cooldown (30 s) and cache age (10 min)
    await expect(remote.verify(t1)).resolves.toMatchObject({ userId: account.id });

    // Phase 2, once every verifier has refetched (10 min): the next key signs, the current one stays accepted.
    await writeSecret(dir, { 'signing.pem': next, 'previous.pem': current });
    const phase2 = await restartWith(await signerFromSecret());
    jwksFetches = 0;
    const t2 = (await phase2.login(account)).accessToken;
    await expect(remote.verify(t2)).resolves.toMatchObject({ userId: account.id });
    await expect(remote.verify(t1)).resolves.toMatchObject({ userId: account.id });
    expect(jwksFetches).toBe(0);
  });
});
