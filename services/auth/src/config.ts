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
    Type.String({
      minLength: 1,
      description: 'Path of a file holding the key, instead of JWT_PRIVATE_KEY (in Kubernetes: `signing.pem` of the mounted JWT Secret).',
    }),
  ),
  JWT_VERIFY_KEYS_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Directory of further Ed25519 keys whose tokens stay valid (key rotation): every `*.pem` file in it (public SPKI or private PKCS#8 PEM; ' +
        'hidden entries such as the `..data` of a Secret mount are skipped) is published in the JWKS next to the signing key. ' +
        'It may be the directory of JWT_PRIVATE_KEY_FILE itself (the signing key is then listed once). Read at start-up.',
    }),
  ),
  ACCESS_TOKEN_TTL_SEC: Type.Integer({
    default: 900,
    minimum: 60,
    maximum: 86_400,
    description: 'Lifetime of an access token in seconds. Access tokens cannot be revoked, so keep it short; clients renew them with a refresh token.',
  }),
  REFRESH_TOKEN_TTL_SEC: Type.Integer({
    default: 2_592_000,
    minimum: 300,
    maximum: 31_536_000,
    description:
      'Lifetime of a refresh token in seconds (default 30 days), counted again from each refresh: a session ends after this long unused, ' +
      'at logout, or when the password changes.',
  }),
  COMPAT_TOKEN_TTL_SEC: Type.Integer({
    default: 86_400,
    minimum: 60,
    maximum: 604_800,
    description:
      'Lifetime of the tokens of the original frontend\'s `POST /login` (and its `token` cookie), 24 h as the original: that frontend cannot refresh, ' +
      'so shorter means being logged out that often. These tokens cannot be revoked before they expire.',
  }),
  COOKIE_SECURE: Type.Enum(['auto', 'true', 'false'], {
    default: 'auto',
    description:
      'The `Secure` attribute of the cookies auth sets. auto: Secure when the request came over https (X-Forwarded-Proto from the gateway or ingress), ' +
      'not on plain http, where a browser would drop a Secure cookie.',
  }),
  LOGIN_FREE_ATTEMPTS: Type.Integer({
    default: 5,
    minimum: 1,
    description:
      'Login attempts one account name may have without delay within LOGIN_THROTTLE_WINDOW_SEC; from then on each attempt must wait a delay that doubles ' +
      '(LOGIN_BACKOFF_BASE_SEC, then twice that, … up to LOGIN_BACKOFF_MAX_SEC). A successful login clears the count. Password changes count here too.',
  }),
  LOGIN_IP_FREE_ATTEMPTS: Type.Integer({
    default: 20,
    minimum: 1,
    description: 'As LOGIN_FREE_ATTEMPTS, for failed attempts from one client address (one /64 for IPv6), whatever account they name.',
  }),
  LOGIN_BACKOFF_BASE_SEC: Type.Integer({ default: 1, minimum: 1, description: 'The first delay once the free attempts are used up.' }),
  LOGIN_BACKOFF_MAX_SEC: Type.Integer({ default: 900, minimum: 1, description: 'The longest delay between login attempts.' }),
  LOGIN_THROTTLE_WINDOW_SEC: Type.Integer({
    default: 3600,
    minimum: 1,
    description: 'Failed attempts are forgotten this long after the last one.',
  }),
  GUEST_TOKENS_PER_MINUTE: Type.Integer({
    default: 10,
    minimum: 0,
    description: 'Guest tokens (POST /api/v1/auth/guest) one client address (one /64 for IPv6) may get per minute. 0: no guest tokens at all.',
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
  if (config.LOGIN_BACKOFF_BASE_SEC > config.LOGIN_BACKOFF_MAX_SEC) {
    throw new ConfigError('LOGIN_BACKOFF_BASE_SEC', `must not exceed LOGIN_BACKOFF_MAX_SEC (${config.LOGIN_BACKOFF_MAX_SEC})`);
  }
  return config;
}
