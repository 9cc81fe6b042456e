import { Redis, type RedisOptions } from 'ioredis';
import { MongoClient } from 'mongodb';
import { baseRedisOptions } from './redis/connection.ts';
import { instrumentMongo, instrumentRedis, redisRole } from './metrics/index.ts';

export * from './redis/index.ts';

/**
 * Redis connection to one URL with the options every service wants (see baseRedisOptions):
 * auto-pipelining, bounded retries per request so an outage fails requests quickly instead of
 * buffering them without limit, capped reconnect backoff. To follow REDIS_URL or REDIS_SENTINELS
 * from the config, use createRedisFromConfig.
 */
export function createRedis(url: string, name: string, overrides: RedisOptions = {}): Redis {
  return instrumentRedis(new Redis(url, { ...baseRedisOptions(name, false), ...overrides }), redisRole(name));
}

export async function connectMongo(url: string): Promise<MongoClient> {
  const client = instrumentMongo(new MongoClient(url, { serverSelectionTimeoutMS: 5_000, appName: 'chatorbit' }));
  await client.connect();
  return client;
}
