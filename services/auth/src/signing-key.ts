import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, createTokenSigner, ed25519PublicJwk, type TokenSigner } from '@chatorbit/shared';
import type { AuthConfig } from './config.ts';

export type SigningKeyConfig = Pick<
  AuthConfig,
  'JWT_ISSUER' | 'JWT_AUDIENCE' | 'JWT_PRIVATE_KEY' | 'JWT_PRIVATE_KEY_FILE' | 'JWT_VERIFY_KEYS_DIR'
>;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The token signer from JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE, or, with neither, from a key
 * generated now; the keys of JWT_VERIFY_KEYS_DIR are accepted and published beside it. A key that
 * cannot be read or is not Ed25519 is a ConfigError naming the variable (and the file).
 */
export async function loadSigner(config: SigningKeyConfig): Promise<TokenSigner> {
  const settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  if (config.JWT_PRIVATE_KEY && config.JWT_PRIVATE_KEY_FILE) {
    throw new ConfigError('JWT_PRIVATE_KEY', 'and JWT_PRIVATE_KEY_FILE are both set; set one of them');
  }
  const variable = config.JWT_PRIVATE_KEY_FILE ? 'JWT_PRIVATE_KEY_FILE' : 'JWT_PRIVATE_KEY';
  let pem = config.JWT_PRIVATE_KEY;
  if (config.JWT_PRIVATE_KEY_FILE) {
    pem = await readFile(config.JWT_PRIVATE_KEY_FILE, 'utf8').catch((err: unknown) => {
      throw new ConfigError(variable, `cannot be read: ${message(err)}`);
    });
  }
  const accepted = config.JWT_VERIFY_KEYS_DIR ? await readAcceptedKeys(config.JWT_VERIFY_KEYS_DIR) : [];
  try {
    return await createTokenSigner(settings, pem, accepted);
  } catch (err) {
    throw new ConfigError(variable, `is not an Ed25519 private key in PKCS#8 PEM: ${message(err)}`);
  }
}

/**
 * The PEM text of every `*.pem` file of `dir`, in name order. Entries whose name starts with a dot
 * are skipped: a Kubernetes Secret volume holds `..data` and `..<timestamp>` next to the symlinks
 * named after its keys. Each file must hold an Ed25519 key.
 */
async function readAcceptedKeys(dir: string): Promise<string[]> {
  const fail = (problem: string) => new ConfigError('JWT_VERIFY_KEYS_DIR', problem);
  const names = await readdir(dir).catch((err: unknown) => {
    throw fail(`cannot be read: ${message(err)}`);
  });
  const pems: string[] = [];
  for (const name of names.filter((n) => !n.startsWith('.') && n.endsWith('.pem')).sort()) {
    const path = join(dir, name);
    // stat follows the symlinks of a Secret mount.
    if (!(await stat(path)).isFile()) continue;
    const pem = await readFile(path, 'utf8').catch((err: unknown) => {
      throw fail(`has ${name}, which cannot be read: ${message(err)}`);
    });
    await ed25519PublicJwk(pem).catch((err: unknown) => {
      throw fail(`has ${name}, which is not an Ed25519 key in PEM: ${message(err)}`);
    });
    pems.push(pem);
  }
  return pems;
}
