import { Type, type TObject, type TProperties, type Static } from 'typebox';
import { Value } from 'typebox/value';

/** Thrown when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/**
 * Parses environment variables against a TypeBox object schema whose property names are the
 * variable names. Defaults are applied, strings are converted to the declared types, unknown
 * variables are ignored. The first problem throws a ConfigError naming the variable.
 */
export function loadConfig<T extends TObject>(schema: T, env: Record<string, string | undefined>): Static<T> {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') input[key] = raw;
  }
  const value = Value.Convert(schema, Value.Default(schema, input));
  for (const error of Value.Errors(schema, value)) {
    const variable = error.instancePath.replace(/^\//, '') || requiredName(error.params) || '(config)';
    const got = (value as Record<string, unknown>)[variable];
    // URLs and keys may hold credentials: their values are never echoed.
    const echo = got !== undefined && !/URL|KEY|PASSWORD|SECRET|TOKEN/.test(variable);
    throw new ConfigError(variable, `${error.message}${echo ? ` (got ${JSON.stringify(got)})` : ''}`);
  }
  return value as Static<T>;
}

function requiredName(params: unknown): string | undefined {
  const missing = (params as { requiredProperties?: string[] } | undefined)?.requiredProperties;
  return missing?.[0];
}

/** Settings every service shares. Each service spreads these into its own schema. */
export function commonConfig(defaultPort: number) {
  return {
    HOST: Type.String({ default: '0.0.0.0', description: 'Address to listen on.' }),
    PORT: Type.Integer({ default: defaultPort, minimum: 0, maximum: 65535, description: 'TCP port to listen on.' }),
    LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      default: 'info',
      description: 'pino log level.',
    }),
    SHUTDOWN_TIMEOUT_MS: Type.Integer({
      default: 10_000,
      minimum: 0,
      description: 'How long graceful shutdown may take after SIGTERM before the process exits anyway.',
    }),
  } satisfies TProperties;
}

/** One sentinel address in REDIS_SENTINELS: `host:port` or `[ipv6]:port`. */
const SENTINEL_ADDRESS = '(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9_.-]+):[0-9]{1,5}';

export const storageConfig = {
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      description:
        'Redis URL, credentials included (`redis://:password@host:6379/0`). Unset, and REDIS_SENTINELS unset too: the in-memory engine (one process only). Set only one of the two.',
    }),
  ),
  REDIS_SENTINELS: Type.Optional(
    Type.String({
      pattern: `^\\s*${SENTINEL_ADDRESS}\\s*(,\\s*${SENTINEL_ADDRESS}\\s*)*$`,
      description:
        'Redis Sentinel mode: comma-separated `host:port` list of sentinels (`[v6]:port` for IPv6), e.g. `10.0.0.1:26379,10.0.0.2:26379`. Clients ask them for the current master of REDIS_MASTER_NAME and follow failovers. Exclusive with REDIS_URL.',
    }),
  ),
  REDIS_MASTER_NAME: Type.String({
    default: 'mymaster',
    pattern: '^[A-Za-z0-9_.:-]{1,64}$',
    description: 'Sentinel mode: the name the sentinels monitor the master under (`sentinel monitor <name> ...`).',
  }),
  REDIS_PASSWORD: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'Sentinel mode: password of the Redis master and replicas (`requirepass`). With REDIS_URL, put the password in the URL instead.',
    }),
  ),
  REDIS_SENTINEL_PASSWORD: Type.Optional(
    Type.String({ minLength: 1, description: 'Sentinel mode: password of the sentinels themselves, if they have one.' }),
  ),
  REDIS_REPLICA_ACKS: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 5,
    description:
      'Writes that must survive a failover (accepted messages) are acknowledged to the sender only after this many replicas have them (Redis WAIT). 0: acknowledged once the master has them.',
  }),
  REDIS_PREFIX: Type.String({
    default: 'orbit',
    pattern: '^[A-Za-z0-9_.-]{1,32}$',
    description: 'Prefix of every Redis key and channel.',
  }),
  MONGO_URL: Type.Optional(
    Type.String({ pattern: '^mongodb(\\+srv)?://', description: 'MongoDB URL. Unset: the in-memory engine.' }),
  ),
  MONGO_DB: Type.String({ default: 'chatorbit', pattern: '^[A-Za-z0-9_-]{1,63}$', description: 'MongoDB database name.' }),
} satisfies TProperties;
export type StorageConfig = Static<TObject<typeof storageConfig>>;

export const tokenConfig = {
  JWT_ISSUER: Type.String({ default: 'chatorbit', minLength: 1, description: 'The `iss` of access tokens.' }),
  JWT_AUDIENCE: Type.String({ default: 'chatorbit', minLength: 1, description: 'The `aud` of access tokens.' }),
} satisfies TProperties;

export const verifierConfig = {
  ...tokenConfig,
  AUTH_JWKS_URL: Type.String({
    default: 'http://127.0.0.1:8081/.well-known/jwks.json',
    pattern: '^https?://',
    description: 'Where the auth service publishes its JWKS; fetched, cached and refetched on an unknown kid.',
  }),
} satisfies TProperties;
