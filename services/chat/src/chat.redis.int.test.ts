import { describe, inject } from 'vitest';
import { MongoClient } from 'mongodb';
import { createRedis } from '@chatorbit/shared';
import { chatBehaviour } from './behaviour/suite.ts';

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
