import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, createTokenSigner } from '@chatorbit/shared';
import { loadSigner } from './signing-key.ts';
import { newKeyPem, writeSecret } from './testing/key-files.ts';

const base = { JWT_ISSUER: 'chatorbit', JWT_AUDIENCE: 'chatorbit' };
const dirs: string[] = [];
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'orbit-keys-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
const kidOf = async (pem: string) => (await createTokenSigner({ issuer: 'chatorbit', audience: 'chatorbit' }, pem)).kid;

describe('loadSigner', () => {
  it('signs with signing.pem of a Secret mount and publishes every other key of it, skipping its hidden entries', async () => {
    const dir = await tempDir();
    const [signing, previous, older] = [newKeyPem(), newKeyPem(), newKeyPem()];
    const previousPublic = generateKeyPairSync('ed25519');
    await writeSecret(dir, {
      'signing.pem': signing,
      'previous.pem': previous,
      'older.pem': older,
      'public.pem': previousPublic.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      'README.txt': 'not a key, and not a .pem: ignored',
    });
    const signer = await loadSigner({ ...base, JWT_PRIVATE_KEY_FILE: join(dir, 'signing.pem'), JWT_VERIFY_KEYS_DIR: dir });
    expect(signer.kid).toBe(await kidOf(signing));
    const kids = signer.jwks().keys.map((k) => k.kid);
    expect(kids[0]).toBe(signer.kid);
    expect(kids.slice(1).sort()).toEqual(
      [await kidOf(previous), await kidOf(older), await kidOf(previousPublic.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())].sort(),
    );
    for (const key of signer.jwks().keys) expect(key).not.toHaveProperty('d');
  });

  it('works without accepted keys, and with a directory holding only the signing key', async () => {
    const dir = await tempDir();
    const signing = newKeyPem();
    await writeSecret(dir, { 'signing.pem': signing });
    const alone = await loadSigner({ ...base, JWT_PRIVATE_KEY: signing });
    const withDir = await loadSigner({ ...base, JWT_PRIVATE_KEY_FILE: join(dir, 'signing.pem'), JWT_VERIFY_KEYS_DIR: dir });
    expect(alone.jwks()).toEqual(withDir.jwks());
    expect(withDir.jwks().keys).toHaveLength(1);
  });

  it.each([
    ['a missing directory', async () => '/nonexistent/orbit-keys', /JWT_VERIFY_KEYS_DIR cannot be read/],
    [
      'a .pem that is no key',
      async () => {
        const dir = await tempDir();
        await writeFile(join(dir, 'broken.pem'), '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n');
        return dir;
      },
      /JWT_VERIFY_KEYS_DIR has broken\.pem, which is not an Ed25519 key/,
    ],
    [
      'an RSA key',
      async () => {
        const dir = await tempDir();
        const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
        await writeFile(join(dir, 'rsa.pem'), rsa);
        return dir;
      },
      /JWT_VERIFY_KEYS_DIR has rsa\.pem, which is not an Ed25519 key/,
    ],
  ])('stops start-up for %s, naming the variable', async (_what, makeDir, message) => {
    const attempt = loadSigner({ ...base, JWT_PRIVATE_KEY: newKeyPem(), JWT_VERIFY_KEYS_DIR: await makeDir() });
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('names JWT_PRIVATE_KEY_FILE when the signing key cannot be read or is not Ed25519', async () => {
    await expect(loadSigner({ ...base, JWT_PRIVATE_KEY_FILE: '/nonexistent/signing.pem' })).rejects.toMatchObject({ variable: 'JWT_PRIVATE_KEY_FILE' });
    const dir = await tempDir();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await writeFile(join(dir, 'signing.pem'), rsa);
    await expect(loadSigner({ ...base, JWT_PRIVATE_KEY_FILE: join(dir, 'signing.pem') })).rejects.toMatchObject({ variable: 'JWT_PRIVATE_KEY_FILE' });
  });
});
