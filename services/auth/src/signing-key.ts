import { readFile } from 'node:fs/promises';
import { ConfigError, createTokenSigner, type TokenSigner } from '@chatorbit/shared';
import type { AuthConfig } from './config.ts';

/**
 * The token signer from JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE, or, with neither, from a key
 * generated now. A key that cannot be read or is not Ed25519 is a ConfigError naming the variable.
 */
export async function loadSigner(config: AuthConfig): Promise<TokenSigner> {
  const settings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  if (config.JWT_PRIVATE_KEY && config.JWT_PRIVATE_KEY_FILE) {
    throw new ConfigError('JWT_PRIVATE_KEY', 'and JWT_PRIVATE_KEY_FILE are both set; set one of them');
  }
  const variable = config.JWT_PRIVATE_KEY_FILE ? 'JWT_PRIVATE_KEY_FILE' : 'JWT_PRIVATE_KEY';
  let pem = config.JWT_PRIVATE_KEY;
  if (config.JWT_PRIVATE_KEY_FILE) {
    pem = await readFile(config.JWT_PRIVATE_KEY_FILE, 'utf8').catch((err: unknown) => {
      throw new ConfigError(variable, `cannot be read: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
  try {
    return await createTokenSigner(settings, pem);
  } catch (err) {
    throw new ConfigError(variable, `is not an Ed25519 private key in PKCS#8 PEM: ${err instanceof Error ? err.message : String(err)}`);
  }
}
