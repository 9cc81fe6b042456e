import { Type, type Static } from 'typebox';
import { ConfigError, commonConfig, loadConfig, storageConfig, tokenConfig } from '@chatorbit/shared';
import { USERNAME_PATTERN } from './routes/auth/schemas.ts';

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
  ADMIN_USERNAME: Type.Optional(
    Type.String({
      pattern: USERNAME_PATTERN,
      description:
        'The first global admin, made sure of at every start of auth (set with ADMIN_PASSWORD, both or neither). ' +
        'No account of that name: it is created with the admin role. An existing account of that name gets the admin role ' +
        'only if its password is ADMIN_PASSWORD; otherwise start-up stops. Unset: no admin is created; there is no default one.',
    }),
  ),
  ADMIN_PASSWORD: Type.Optional(
    Type.String({
      minLength: 12,
      maxLength: 256,
      description:
        "Password of ADMIN_USERNAME's account, 12–256 characters, not equal to the username; from a Secret. " +
        'Used only when the account is created: changing it later does not change the password.',
    }),
  ),
  ADMIN_EMAIL: Type.Optional(
    Type.String({
      format: 'email',
      maxLength: 254,
      description: "Email of ADMIN_USERNAME's account when it is created. Unset: `<ADMIN_USERNAME>@admin.invalid`.",
    }),
  ),
});

export type AuthConfig = Static<typeof authConfigSchema>;

/** The admin account the configuration asks for. */
export interface AdminAccount {
  username: string;
  password: string;
  email: string;
}

/**
 * The admin account from ADMIN_USERNAME, ADMIN_PASSWORD and ADMIN_EMAIL, or undefined when none is
 * configured. Half a setting (a username without a password, a password or email without a
 * username, the username as the password) is a ConfigError naming the variable at fault.
 */
export function adminAccount(config: Pick<AuthConfig, 'ADMIN_USERNAME' | 'ADMIN_PASSWORD' | 'ADMIN_EMAIL'>): AdminAccount | undefined {
  const { ADMIN_USERNAME: username, ADMIN_PASSWORD: password, ADMIN_EMAIL: email } = config;
  if (username === undefined) {
    if (password !== undefined) throw new ConfigError('ADMIN_USERNAME', 'is required when ADMIN_PASSWORD is set');
    if (email !== undefined) throw new ConfigError('ADMIN_USERNAME', 'is required when ADMIN_EMAIL is set');
    return undefined;
  }
  if (password === undefined) throw new ConfigError('ADMIN_PASSWORD', 'is required when ADMIN_USERNAME is set');
  if (password.toLowerCase() === username.toLowerCase()) throw new ConfigError('ADMIN_PASSWORD', 'must not equal ADMIN_USERNAME');
  return { username, password, email: email ?? `${username}@admin.invalid` };
}

/** loadConfig for auth, plus the checks that span variables, so that start-up stops before connecting. */
export function loadAuthConfig(env: Record<string, string | undefined>): AuthConfig {
  const config = loadConfig(authConfigSchema, env);
  adminAccount(config);
  return config;
}
