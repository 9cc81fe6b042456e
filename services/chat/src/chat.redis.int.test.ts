import { describe, inject } from 'vitest';
import { MongoClient } from 'mongodb';
import { createRedis, MongoUserStore } from '@chatorbit/shared';
import { chatBehaviour } from './behaviour/suite.ts';
import { moderationBehaviour } from './behaviour/moderation-suite.ts';

describe('chat on Redis and MongoDB', () => {
  chatBehaviour(async () => {
    const id = `${process.pid}_${Date.now().toString(36)}`;
    const mongo = await new MongoClient(inject('mongoUrl')).connect();
    const db = mongo.db(`chat_test_${id}`);
    const url = inject('redisUrl');
    return {
      name: 'redis',
      env: { REDIS_PREFIX: `test-${id}` },
      clients: () => ({ redis: (role) => createRedis(url, `test-${role}`), db }),
      close: async () => {
        await db.dropDatabase();
        await mongo.close();
      },
    };
  });
});

describe('moderation on Redis and MongoDB', () => {
  moderationBehaviour(async () => {
    const id = `${process.pid}_${Date.now().toString(36)}`;
    const mongo = await new MongoClient(inject('mongoUrl')).connect();
    const db = mongo.db(`moderation_test_${id}`);
    const url = inject('redisUrl');
    return {
      name: 'redis',
      env: { REDIS_PREFIX: `mod-${id}` },
      users: new MongoUserStore(db),
      clients: () => ({ redis: (role) => createRedis(url, `mod-${role}`), db }),
      close: async () => {
        await db.dropDatabase();
        await mongo.close();
      },
    };
  });
});
