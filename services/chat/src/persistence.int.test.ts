import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { createRedis } from '@chatorbit/shared';
import { startFerret, waitFor, type SpawnedServer } from '@chatorbit/shared/testing';
import { ChatCluster, deliveredSeqs, isType, unlimited } from './behaviour/harness.ts';

/** How long MongoDB stays unresponsive: the scenario's length, fixed by design. */
const OUTAGE_MS = 30_000;
const RATE_PER_TICK = 4; // every 20 ms: 200 messages/s

let ferret: SpawnedServer;
let mongo: MongoClient;

beforeAll(async () => {
  ferret = await startFerret();
  mongo = await new MongoClient(ferret.url, { serverSelectionTimeoutMS: 2_000 }).connect();
});

afterAll(async () => {
  ferret.signal('SIGCONT');
  await mongo?.close();
  await ferret?.stop();
});

it('keeps chatting while MongoDB is frozen for 30 s, then drains the backlog with nothing lost', async () => {
  const id = `${process.pid}_${Date.now().toString(36)}`;
  const db = mongo.db('persist_test');
  const url = inject('redisUrl');
  const cluster = await new ChatCluster(
    { name: 'redis', env: { REDIS_PREFIX: `persist-${id}` }, clients: () => ({ redis: (role) => createRedis(url, `persist-${role}`), db }), close: async () => {} },
    { PERSIST_BATCH_SIZE: '200', ...unlimited },
  ).start(2);
  try {
    const room = 'outage';
    const writer = await cluster.connect(0);
    const viewer = await cluster.connect(1);
    await writer.request({ type: 'join', room }, isType('joined'));
    await viewer.request({ type: 'join', room }, isType('joined'));
    const messages = db.collection('messages');

    let sent = 0;
    let thawedAt = 0;
    const load = setInterval(() => {
      for (let i = 0; i < RATE_PER_TICK; i++) writer.send({ type: 'send', room, text: `m${sent}`, nonce: String(sent++) });
    }, 20);
    try {
      await waitFor(async () => (await messages.countDocuments({ room })) > 100, { timeoutMs: 10_000, message: 'persisting under load' });
      ferret.signal('SIGSTOP');
      const frozenAt = Date.now();
      const ackedBefore = writer.all(isType('ack')).length;
      await delay(OUTAGE_MS);
      const ackedDuring = writer.all(isType('ack')).length - ackedBefore;
      ferret.signal('SIGCONT');
      thawedAt = Date.now();
      console.log(`MongoDB frozen ${(thawedAt - frozenAt) / 1000} s; ${ackedDuring} messages acknowledged meanwhile`);
      expect(ackedDuring).toBeGreaterThan((OUTAGE_MS / 1000) * 100); // chat went on at ~200 msg/s
    } finally {
      clearInterval(load);
    }
    await writer.collect(isType('ack'), sent, 30_000);
    const acked = writer.all(isType('ack'));
    expect(writer.all(isType('error'))).toEqual([]);
    await waitFor(async () => (await messages.countDocuments({ room })) === acked.length, {
      timeoutMs: 60_000,
      intervalMs: 200,
      message: `all ${acked.length} acknowledged messages in MongoDB`,
    });
    console.log(`backlog drained ${(Date.now() - thawedAt) / 1000} s after MongoDB came back; ${acked.length} messages, 0 lost`);
    const seqs = (await messages.find({ room }, { projection: { seq: 1 } }).sort({ seq: 1 }).toArray()).map((d) => d.seq as number);
    expect(seqs).toEqual(Array.from({ length: acked.length }, (_, i) => i + 1));
    await waitFor(() => deliveredSeqs(viewer).length >= acked.length, { timeoutMs: 30_000, message: 'the viewer to get every message' });
    expect(deliveredSeqs(viewer)).toEqual(seqs);
    writer.close();
    viewer.close();
  } finally {
    await cluster.stop();
  }
}, 150_000);
