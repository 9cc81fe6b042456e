import { Redis, type RedisOptions } from 'ioredis';
import { MongoClient } from 'mongodb';

/**
 * Redis connection with the options every service wants: auto-pipelining (commands issued in
 * the same tick share one write), and a bounded offline queue so an outage fails requests
 * quickly instead of buffering them without limit.
 */
export function createRedis(url: string, name: string, overrides: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName: name,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    lazyConnect: false,
    ...overrides,
  });
}

export async function connectMongo(url: string): Promise<MongoClient> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, appName: 'chatorbit' });
  await client.connect();
  return client;
}
