import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { ObjectId } from 'mongodb';
import { createRedis, redisKeys } from '@chatorbit/shared';
import { waitFor } from '@chatorbit/shared/testing';
import { ChatCluster } from './behaviour/harness.ts';

const id = `${process.pid}_${Date.now().toString(36)}`;
let mongo: MongoClient;
beforeAll(async () => {
  mongo = await new MongoClient(inject('mongoUrl')).connect();
});
afterAll(async () => {
  await mongo.db(`persister_${id}`).dropDatabase();
  await mongo.close();
});

it('takes over the messages a dead node read from the stream and never wrote (XAUTOCLAIM)', async () => {
  const url = inject('redisUrl');
  const db = mongo.db(`persister_${id}`);
  const keys = redisKeys(`claim-${id}`);
  const redis = createRedis(url, 'test-ghost');
  try {
    // A node ("ghost") read 50 queued messages and died before writing or acknowledging them.
    await redis.xgroup('CREATE', keys.persistStream, keys.persistGroup, '0', 'MKSTREAM');
    const ids: string[] = [];
    for (let seq = 1; seq <= 50; seq++) {
      const message = { seq, id: new ObjectId().toHexString(), room: 'claimed', user: { id: 'u', name: 'u' }, text: `m${seq}`, ts: Date.now() };
      ids.push(message.id);
      await redis.xadd(keys.persistStream, '*', 'm', JSON.stringify(message));
    }
    await redis.xreadgroup('GROUP', keys.persistGroup, 'ghost', 'COUNT', 100, 'STREAMS', keys.persistStream, '>');
    expect((await redis.xpending(keys.persistStream, keys.persistGroup))[0]).toBe(50);

    const engine = { name: 'redis', env: { REDIS_PREFIX: keys.prefix }, clients: () => ({ redis: (role: string) => createRedis(url, `claim-${role}`), db }), close: async () => {} };
    const cluster = await new ChatCluster(engine, { PERSIST_CLAIM_IDLE_MS: '1000' }).start(1);
    try {
      const messages = db.collection('messages');
      await waitFor(async () => (await messages.countDocuments({ room: 'claimed' })) === 50, { timeoutMs: 10_000, message: 'the claimed messages in MongoDB' });
      expect((await messages.find({ room: 'claimed' }).sort({ seq: 1 }).toArray()).map((d) => d._id)).toEqual(ids);
      await waitFor(async () => (await redis.xpending(keys.persistStream, keys.persistGroup))[0] === 0, { message: 'nothing pending' });
      expect(await redis.xlen(keys.persistStream)).toBe(0);
    } finally {
      await cluster.stop();
    }
  } finally {
    await redis.quit();
  }
});

it('deletes messages older than MESSAGE_RETENTION_DAYS', async () => {
  const db = mongo.db(`persister_${id}`);
  const messages = db.collection<{ _id: string; room: string; seq: number; ts: Date }>('messages');
  const day = 86_400_000;
  await messages.insertMany([
    { _id: new ObjectId().toHexString(), room: 'old', seq: 1, ts: new Date(Date.now() - 10 * day) },
    { _id: new ObjectId().toHexString(), room: 'old', seq: 2, ts: new Date(Date.now() - 1 * day) },
  ]);
  const engine = { name: 'redis', env: { REDIS_PREFIX: `ret-${id}` }, clients: () => ({ redis: (role: string) => createRedis(inject('redisUrl'), `ret-${role}`), db }), close: async () => {} };
  const cluster = await new ChatCluster(engine, { MESSAGE_RETENTION_DAYS: '7' }).start(1);
  try {
    await waitFor(async () => (await messages.countDocuments({ room: 'old' })) === 1, { message: 'the 10-day-old message deleted' });
    expect((await messages.findOne({ room: 'old' }))?.seq).toBe(2);
  } finally {
    await cluster.stop();
  }
});
