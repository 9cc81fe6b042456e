import { describe, inject } from 'vitest';
import { MongoClient } from 'mongodb';
import { createRedis, MongoUserStore, redisKeys } from '@chatorbit/shared';
import { chatBehaviour } from './behaviour/suite.ts';
import { moderationBehaviour } from './behaviour/moderation-suite.ts';
import { presenceBehaviour } from './behaviour/presence-suite.ts';
import { compatBehaviour } from './behaviour/compat-suite.ts';
import { accountsBehaviour } from './behaviour/accounts-suite.ts';
import { limitsBehaviour } from './behaviour/limits-suite.ts';
import type { Engine } from './behaviour/harness.ts';

/** The Redis + MongoDB engine, with a key prefix and a database of its own (dropped at close). */
async function redisEngine(name: string): Promise<Engine> {
  const id = `${name}_${process.pid}_${Date.now().toString(36)}`;
  const mongo = await new MongoClient(inject('mongoUrl')).connect();
  const db = mongo.db(id);
  const url = inject('redisUrl');
  return {
    name: 'redis',
    env: { REDIS_PREFIX: id },
    users: new MongoUserStore(db),
    clients: () => ({ redis: (role) => createRedis(url, `${name}-${role}`), db }),
    close: async () => {
      await db.dropDatabase();
      await mongo.close();
    },
  };
}

describe('chat on Redis and MongoDB', () => {
  chatBehaviour(() => redisEngine('chat'));
});

describe('moderation on Redis and MongoDB', () => {
  moderationBehaviour(() => redisEngine('moderation'));
});

describe('presence on Redis and MongoDB', () => {
  presenceBehaviour(() => redisEngine('presence'));
});

describe("the original frontend's API on Redis and MongoDB", () => {
  compatBehaviour(() => redisEngine('compat'));
});

describe('guests and deactivated accounts on Redis and MongoDB', () => {
  accountsBehaviour(() => redisEngine('accounts'), {
    // A lost pub/sub message: the set is written, no event goes out.
    deactivateSilently: async (engine, userId) => {
      const redis = createRedis(inject('redisUrl'), 'accounts-test');
      try {
        await redis.sadd(redisKeys(engine.env?.REDIS_PREFIX).deactivatedUsers, userId);
      } finally {
        await redis.quit();
      }
    },
  });
});

describe('connection limits on Redis and MongoDB', () => {
  limitsBehaviour(() => redisEngine('limits'));
});
