// Redis and MongoDB (FerretDB) for a fault scenario: its own throwaway processes on free loopback
// ports, or servers it is given (the vitest run's, through inject()).
import { MongoClient } from 'mongodb';
import { startFerret, startRedis, type SpawnedServer } from '@chatorbit/shared/testing';

export interface StoreUrls {
  redisUrl?: string;
  mongoUrl?: string;
}

export interface Stores {
  redisUrl: string;
  mongoUrl: string;
  /** The runner's own client (to check what was stored). */
  mongo: MongoClient;
  /** Set when this run started the server: it can be frozen, killed, restarted. */
  redis?: SpawnedServer;
  ferret?: SpawnedServer;
  /** Drops the named databases, then stops what it started. */
  stop(dropDbs?: string[]): Promise<void>;
}

export async function startStores(given: StoreUrls = {}, opts: { redis?: boolean } = {}): Promise<Stores> {
  const started: SpawnedServer[] = [];
  let mongo: MongoClient | undefined;
  const stopAll = async () => {
    await mongo?.close().catch(() => {});
    await Promise.all(started.map((s) => s.stop()));
  };
  try {
    const redis = opts.redis === false || given.redisUrl ? undefined : await startRedis();
    if (redis) started.push(redis);
    const ferret = given.mongoUrl ? undefined : await startFerret();
    if (ferret) started.push(ferret);
    const mongoUrl = given.mongoUrl ?? ferret!.url;
    mongo = await new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5_000 }).connect();
    const client = mongo;
    return {
      redisUrl: given.redisUrl ?? redis?.url ?? '',
      mongoUrl,
      mongo: client,
      ...(redis ? { redis } : {}),
      ...(ferret ? { ferret } : {}),
      async stop(dropDbs = []) {
        for (const name of dropDbs) await client.db(name).dropDatabase().catch(() => {});
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
