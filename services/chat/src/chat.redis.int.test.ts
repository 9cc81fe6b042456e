import { describe, inject } from 'vitest';
import { MongoClient } from 'mongodb';
import { createRedis, redisKeys } from '@chatorbit/shared';
import { RedisBroker } from './broker/redis-broker.ts';
import { MongoMessageLog } from './history/mongo-message-log.ts';
import { chatBehaviour } from './behaviour/suite.ts';

describe('chat on Redis and MongoDB', () => {
  chatBehaviour(async () => {
    const id = `${process.pid}_${Date.now().toString(36)}`;
    const mongo = await new MongoClient(inject('mongoUrl')).connect();
    const db = mongo.db(`chat_test_${id}`);
    const keys = redisKeys(`test-${id}`);
    return {
      name: 'redis',
      node: async () => {
        const url = inject('redisUrl');
        return {
          broker: new RedisBroker({ pub: createRedis(url, 'test-pub'), sub: createRedis(url, 'test-sub'), keys }),
          log: new MongoMessageLog(db),
        };
      },
      close: async () => {
        await db.dropDatabase();
        await mongo.close();
      },
    };
  });
});
