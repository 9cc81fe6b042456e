import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError, type StorageConfig } from '../config.ts';
import { instrumentRedis, redisRole } from '../metrics/redis.ts';

/** The settings that say how to reach Redis (see storageConfig for their meaning). */
export type RedisConfig = Pick<
  StorageConfig,
  'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_MASTER_NAME' | 'REDIS_PASSWORD' | 'REDIS_SENTINEL_PASSWORD'
>;

export interface SentinelAddress {
  host: string;
  port: number;
}

/** How to construct an ioredis client: `new Redis(url, options)` or `new Redis(options)`. */
export type RedisConnection =
  | { mode: 'url'; url: string; options: RedisOptions }
  | { mode: 'sentinel'; options: RedisOptions };

/** Reconnect delays: 50, 100, 200, 400, 800, then 1000 ms, each plus 0–99 ms of jitter so a fleet of
 *  nodes does not reconnect in lock-step. The cap bounds how long after a failover (or a restart) a
 *  client keeps waiting before it asks the sentinels again. */
const RECONNECT_BASE_MS = 50;
const RECONNECT_CAP_MS = 1000;

/**
 * A command waits through at most this many reconnect attempts, then is rejected with
 * MaxRetriesPerRequestError (ioredis flushes its queues every maxRetriesPerRequest + 1 attempts):
 * during an outage requests fail within well under a second at first, about 3 s once the backoff is
 * capped, instead of piling up in the offline queue.
 */
const MAX_RETRIES_PER_REQUEST = 2;

export function reconnectDelay(attempt: number): number {
  return Math.min(RECONNECT_BASE_MS * 2 ** Math.max(0, attempt - 1), RECONNECT_CAP_MS) + Math.floor(Math.random() * 100);
}

/**
 * The options every service's clients share: auto-pipelining (commands issued in the same tick share
 * one write), bounded retries per request, capped reconnect backoff. Subscriptions are restored by
 * ioredis on every reconnect (autoResubscribe, its default).
 */
export function baseRedisOptions(connectionName: string, sentinel: boolean): RedisOptions {
  return {
    connectionName,
    enableAutoPipelining: true,
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    retryStrategy: reconnectDelay,
    // How long a deliberate disconnect (a failover announced by the sentinels, READONLY) waits for
    // the server to close its side before destroying the socket. ioredis waits 2 s by default, all
    // of it added to the outage when the old master hangs instead of closing.
    disconnectTimeout: 500,
    reconnectOnError: (err) => reconnectAction(err, sentinel),
    lazyConnect: false,
  };
}

/**
 * READONLY: this connection reached a replica, typically a master demoted by a failover while we
 * were connected. Reconnect. With Sentinel the reconnect asks the sentinels for the master and
 * ioredis checks the node's role before using it, so the failed write is resent there (2). With a
 * plain URL the same address may still be a replica: reject the command (1) rather than resend it
 * in a loop.
 * UNBLOCKED: a blocking read was cut off because the instance changed role: reconnect, reject.
 */
function reconnectAction(err: Error, sentinel: boolean): boolean | 1 | 2 {
  if (err.message.startsWith('READONLY')) return sentinel ? 2 : 1;
  if (err.message.startsWith('UNBLOCKED')) return 1;
  return false;
}

/**
 * Parses REDIS_SENTINELS (`host:port[,host:port...]`, IPv6 hosts in brackets). Throws a ConfigError
 * naming REDIS_SENTINELS on a malformed entry.
 */
export function parseSentinels(list: string): SentinelAddress[] {
  const entries = list.split(',').map((entry) => entry.trim());
  return entries.map((entry) => {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):([0-9]{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) {
      throw new ConfigError('REDIS_SENTINELS', `must be a comma-separated list of host:port (got ${JSON.stringify(entry)})`);
    }
    return { host: match[1] ?? match[2]!, port };
  });
}

/**
 * How to connect for this config: URL mode (REDIS_URL, credentials in the URL), Sentinel mode
 * (REDIS_SENTINELS: ioredis asks the sentinels for the master of REDIS_MASTER_NAME and follows
 * failovers), or undefined when neither is set (the in-memory engine). Both set is a ConfigError,
 * and so is a Sentinel-only password next to REDIS_URL (it would be silently ignored).
 */
export function redisConnectionOptions(
  config: RedisConfig,
  connectionName = 'chatorbit',
  overrides: RedisOptions = {},
): RedisConnection | undefined {
  if (config.REDIS_URL && config.REDIS_SENTINELS) {
    throw new ConfigError('REDIS_SENTINELS', 'and REDIS_URL are both set: set REDIS_URL for one Redis, or REDIS_SENTINELS for a Sentinel group');
  }
  if (config.REDIS_URL) {
    for (const variable of ['REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD'] as const) {
      if (config[variable]) {
        throw new ConfigError(variable, 'is only used with REDIS_SENTINELS; with REDIS_URL put the password in the URL (redis://:password@host:port)');
      }
    }
    return { mode: 'url', url: config.REDIS_URL, options: { ...baseRedisOptions(connectionName, false), ...overrides } };
  }
  if (config.REDIS_SENTINELS) {
    return {
      mode: 'sentinel',
      options: {
        ...baseRedisOptions(connectionName, true),
        sentinels: parseSentinels(config.REDIS_SENTINELS),
        name: config.REDIS_MASTER_NAME,
        role: 'master',
        password: config.REDIS_PASSWORD,
        sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
        // Also subscribe to +switch-master on the sentinels and reconnect as soon as a failover is
        // announced. Without it a client only notices when its connection breaks, which for a
        // master that vanished from the network (no RST) can take minutes of TCP retransmits.
        failoverDetector: true,
        ...overrides,
      },
    };
  }
  return undefined;
}

/**
 * A Redis client for this config (see redisConnectionOptions), or undefined when Redis is not
 * configured. The client connects in the background and reconnects by itself; listen for 'error'.
 */
export function createRedisFromConfig(
  config: RedisConfig,
  connectionName: string,
  overrides: RedisOptions = {},
): Redis | undefined {
  const connection = redisConnectionOptions(config, connectionName, overrides);
  if (!connection) return undefined;
  const client = connection.mode === 'url' ? new Redis(connection.url, connection.options) : new Redis(connection.options);
  return instrumentRedis(client, redisRole(connectionName));
}

/**
 * A factory of Redis connections for one configuration, one per role (`chat-node1-pub`, …), each
 * with an 'error' listener: ioredis reconnects by itself, and without a listener it would print an
 * unhandled-error trace for every failed attempt. Throws when Redis is not configured.
 */
export function redisConnector(
  config: RedisConfig,
  namePrefix: string,
  onError: (role: string, err: Error) => void,
): (role: string) => Redis {
  return (role) => {
    const client = createRedisFromConfig(config, `${namePrefix}-${role}`);
    if (!client) throw new Error('Redis is not configured: set REDIS_URL or REDIS_SENTINELS');
    client.on('error', (err: Error) => onError(role, err));
    return client;
  };
}

/** True when the configuration names a Redis (URL or sentinels). */
export const redisConfigured = (config: RedisConfig) => Boolean(config.REDIS_URL || config.REDIS_SENTINELS);
