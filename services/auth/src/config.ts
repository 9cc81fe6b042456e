import { Type, type Static } from 'typebox';
import { commonConfig, storageConfig, tokenConfig } from '@chatorbit/shared';

export const authConfigSchema = Type.Object({
  ...commonConfig(8081),
  ...storageConfig,
  ...tokenConfig,
  JWT_PRIVATE_KEY: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Ed25519 private key (PKCS#8 PEM) that signs access tokens. Every auth replica needs the same key. ' +
        'Unset (and no JWT_PRIVATE_KEY_FILE): a key is generated at start-up and tokens die with the process.',
    }),
  ),
  JWT_PRIVATE_KEY_FILE: Type.Optional(
    Type.String({ minLength: 1, description: 'Path of a file holding the key, instead of JWT_PRIVATE_KEY.' }),
  ),
  ACCESS_TOKEN_TTL_SEC: Type.Integer({
    default: 3600,
    minimum: 60,
    maximum: 86_400,
    description: 'Lifetime of an access token in seconds. Tokens cannot be revoked, so keep it short.',
  }),
});

export type AuthConfig = Static<typeof authConfigSchema>;
