import { afterAll, describe, expect, inject, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { redisConnector } from '@chatorbit/shared';
import { startSentinelGroup, waitFor, type SentinelGroup } from '@chatorbit/shared/testing';
import { ChatCluster, deliveredSeqs, isType, unlimited } from './behaviour/harness.ts';

/** Sends per 10 ms tick: 500 messages/s. */
const PER_TICK = 5;
/** Load before the kill, and after the failover, each this long (the scenario's clock). */
const PHASE_MS = 2_000;

const mongoUrl = inject('mongoUrl');
const results: string[] = [];
afterAll(() => {
  console.log(['Redis master SIGKILLed under 500 msgs/s (2 replicas, 3 sentinels):', ...results].join('\n'));
});

/**
 * A realistic client: every send that gets an error, or no ack before the failover ends, is
 * retried with the same nonce; the test counts acknowledged messages that never reach MongoDB.
 */
describe.each([0, 1])('Sentinel failover with REDIS_REPLICA_ACKS=%i', (replicaAcks) => {
  let group: SentinelGroup;
  let mongo: MongoClient;
  afterAll(async () => {
    await group?.stop();
    await mongo?.close();
  });

  it('recovers by itself; reports the outage and acknowledged messages lost', async () => {
    // Two replicas: after the failover one is left, so WAIT 1 can still be satisfied.
    group = await startSentinelGroup({ replicas: 2, sentinels: 3 });
    mongo = await new MongoClient(mongoUrl).connect();
    const db = mongo.db(`failover_${process.pid}_${replicaAcks}`);
    const env = { REDIS_SENTINELS: group.sentinelsEnv, REDIS_MASTER_NAME: group.masterName, REDIS_REPLICA_ACKS: String(replicaAcks) };
    const engine = {
      name: 'sentinel',
      env,
      clients: () => ({ redis: redisConnector(env, 'failover', () => {}), db }),
      close: async () => {},
    };
    const cluster = await new ChatCluster(engine, { ...env, ...unlimited }).start(2);
    try {
      const room = 'failover';
      const writer = await cluster.connect(0);
      const viewer = await cluster.connect(1);
      await writer.request({ type: 'join', room }, isType('joined'));
      await viewer.request({ type: 'join', room }, isType('joined'));

      const ackAt = new Map<string, number>(); // nonce → when acknowledged
      const ids = new Map<string, string>(); // nonce → message id
      let errors = 0;
      writer.socket.on('message', (data) => {
        const f = JSON.parse(String(data)) as { type: string; nonce?: string; id?: string };
        if (f.type === 'ack' && !ackAt.has(f.nonce!)) {
          ackAt.set(f.nonce!, Date.now());
          ids.set(f.nonce!, f.id!);
        } else if (f.type === 'error' && f.nonce !== undefined) {
          errors++;
          writer.send({ type: 'send', room, text: `m${f.nonce}`, nonce: f.nonce }); // retry, same nonce
        }
      });
      let sent = 0;
      const load = setInterval(() => {
        for (let i = 0; i < PER_TICK; i++) writer.send({ type: 'send', room, text: `m${sent}`, nonce: String(sent++) });
      }, 10);
      let failover;
      let killedAt = 0;
      try {
        await waitFor(() => ackAt.size > (PHASE_MS / 1000) * 300, { timeoutMs: PHASE_MS * 3, message: 'load before the kill' });
        killedAt = Date.now();
        const { killedPort } = await group.killMaster();
        failover = await group.waitForFailover(killedPort, 30_000);
        const after = ackAt.size;
        await waitFor(() => ackAt.size > after + (PHASE_MS / 1000) * 300, { timeoutMs: 30_000, message: 'acks after the failover' });
      } finally {
        clearInterval(load);
      }
      // Sends stranded on the dead master's connection: retry each (same nonce) until acknowledged.
      await waitFor(
        () => {
          if (ackAt.size === sent) return true;
          for (let n = 0; n < sent; n++) if (!ackAt.has(String(n))) writer.send({ type: 'send', room, text: `m${n}`, nonce: String(n) });
          return false;
        },
        { timeoutMs: 30_000, intervalMs: 500, message: 'every send acknowledged' },
      );

      const times = [...ackAt.values()].sort((a, b) => a - b);
      let outage = 0;
      for (let i = 1; i < times.length; i++) if (times[i]! >= killedAt) outage = Math.max(outage, times[i]! - times[i - 1]!);

      // Every acknowledged message must reach MongoDB through the persisters; wait, then count.
      const messages = db.collection('messages');
      const wanted = new Set(ids.values());
      let present = 0;
      await waitFor(
        async () => {
          const found = await messages.find({ _id: { $in: [...wanted] as never[] } }, { projection: { _id: 1 } }).toArray();
          present = found.length;
          return present === wanted.size;
        },
        { timeoutMs: 15_000, intervalMs: 250, message: 'acknowledged messages in MongoDB' },
      ).catch(() => undefined);
      const lost = wanted.size - present;
      results.push(
        `  REDIS_REPLICA_ACKS=${replicaAcks}: sentinels promoted the replica in ${failover!.seconds.toFixed(2)} s; ` +
          `longest gap between acks ${(outage / 1000).toFixed(2)} s; ${wanted.size} acknowledged, ${lost} lost; ${errors} send errors retried; ` +
          `the viewer got ${new Set(deliveredSeqs(viewer)).size} distinct seqs`,
      );

      // The services recovered by themselves: the viewer on the other node still gets new messages.
      const before = deliveredSeqs(viewer).length;
      await writer.request({ type: 'send', room, text: 'after', nonce: 'after' }, isType('ack', { nonce: 'after' }));
      await waitFor(() => deliveredSeqs(viewer).length > before, { timeoutMs: 10_000, message: 'live delivery after the failover' });
      if (replicaAcks > 0) expect(lost).toBe(0);
      // The viewer's socket stayed open through the failover: what its node missed on the bus
      // while its subscriber reconnected was read back from history, so it saw every seq.
      const seen = deliveredSeqs(viewer);
      const distinct = new Set(seen);
      const holes = Math.max(...seen) - Math.min(...seen) + 1 - distinct.size;
      expect(holes, 'seqs the viewer never got').toBe(0);
      if (replicaAcks > 0) expect(seen.length, 'seqs the viewer got twice').toBe(distinct.size);
      writer.close();
      viewer.close();
    } finally {
      await cluster.stop();
    }
  }, 120_000);
});
