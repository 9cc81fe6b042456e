// Redis Sentinel failover under load: the master is SIGKILLed while two chat nodes take sends;
// the sentinels promote a replica and the nodes follow. Publishers retry (same nonce) every send
// that got an error or no answer. Measured: the outage as the clients see it (the longest time
// without an ack), and acknowledged messages that never reach MongoDB, with and without
// REDIS_REPLICA_ACKS (WAIT for a replica before the ack).
import { startSentinelGroup, waitFor, type SentinelGroup } from '@chatorbit/shared/testing';
import { ChatNodes, checkStored, longestAckGap } from '../cluster.ts';
import { LoadGenerator } from '../loadgen/client.ts';
import { startStores, type StoreUrls } from '../stores.ts';
import { allAcknowledged, describeCounts, mergeViewers, phase, seconds, total, viewersCaughtUp, type RunContext, type ScenarioResult } from '../scenario.ts';

export interface FailoverOptions extends Pick<StoreUrls, 'mongoUrl'> {
  replicaAcks: number;
  rate: number;
  /** Load before the kill, and after the failover. */
  phaseMs: number;
  viewers: number;
}

const PUBLISHERS = 4;

export async function failover(opts: FailoverOptions, ctx: RunContext): Promise<ScenarioResult> {
  const stores = await startStores(opts, { redis: false });
  const dbName = `faults_failover_${opts.replicaAcks}_${ctx.runId}`;
  let group: SentinelGroup | undefined;
  let nodes: ChatNodes | undefined;
  const viewerLg = new LoadGenerator();
  const publisherLg = new LoadGenerator();
  try {
    // Two replicas: after the failover one is left, so WAIT 1 can still be satisfied.
    group = await startSentinelGroup({ replicas: 2, sentinels: 3 });
    nodes = await ChatNodes.start({
      nodes: 2,
      redis: { sentinels: group.sentinelsEnv, masterName: group.masterName },
      mongo: { url: stores.mongoUrl, db: dbName },
      prefix: `faults-failover-${ctx.runId}`,
      env: { REDIS_REPLICA_ACKS: String(opts.replicaAcks) },
    });
    const cluster = nodes;
    const room = 'failover';
    await Promise.all([viewerLg.init(cluster.wsUrls), publisherLg.init(cluster.wsUrls)]);
    await viewerLg.viewers(await Promise.all(Array.from({ length: opts.viewers }, async (_, i) => ({ node: i % 2, room, token: await cluster.token(i + 1) }))));
    await publisherLg.publishers(
      await Promise.all(Array.from({ length: PUBLISHERS }, async (_, k) => ({ node: k % 2, room, token: await cluster.token(100_000 + k), name: `p${k}`, rate: opts.rate / PUBLISHERS }))),
    );
    ctx.log(`failover (REDIS_REPLICA_ACKS=${opts.replicaAcks}): ${opts.rate} msg/s, ${opts.viewers} viewers`);
    await publisherLg.publish(true);
    await phase(opts.phaseMs);

    const killedAt = Date.now();
    const { killedPort } = await group.killMaster();
    const promoted = await group.waitForFailover(killedPort, 60_000);
    ctx.log(`  sentinels promoted a replica in ${promoted.seconds.toFixed(2)} s`);
    const ackedBefore = (await publisherLg.report()).publishers.acked;
    await waitFor(async () => (await publisherLg.report()).publishers.acked > ackedBefore + 100, {
      timeoutMs: 60_000,
      intervalMs: 100,
      message: 'acks again after the failover',
    });
    await phase(opts.phaseMs);
    await publisherLg.publish(false);

    const acked = await allAcknowledged(publisherLg);
    const caughtUp = await viewersCaughtUp([viewerLg], acked.publishers.rooms);
    const v = mergeViewers([await viewerLg.report()]);
    const p = (await publisherLg.report(true)).publishers;
    const acks = p.acks!;
    const outageS = seconds(longestAckGap(acks, killedAt));
    const db = stores.mongo.db(dbName);
    const stored = await waitFor(async () => {
      const check = await checkStored(db, acks);
      return check.lost === 0 ? check : undefined;
    }, { timeoutMs: 20_000, intervalMs: 500, message: 'every acknowledged message in MongoDB' }).catch(() => checkStored(db, acks));

    return {
      id: `failover-acks-${opts.replicaAcks}`,
      title: `Sentinel failover, REDIS_REPLICA_ACKS=${opts.replicaAcks}`,
      setup: `2 chat nodes, Redis master + 2 replicas, 3 sentinels (down-after 1 s), FerretDB; ${opts.viewers} viewers, ${PUBLISHERS} publishers`,
      load: `${opts.rate} msg/s; master SIGKILLed`,
      figures: {
        sentinelPromotedS: Number(promoted.seconds.toFixed(2)),
        outageS,
        acked: acks.length,
        lost: stored.lost,
        storedTwice: stored.storedTwice,
        seqCollisions: stored.seqCollisions,
        conflictingAcks: p.conflictingAcks,
        sendErrors: describeCounts(p.errorFrames),
        resends: p.resends,
        publisherCloses: describeCounts(p.closes),
        viewerGaps: v.gaps,
        viewerDuplicates: v.duplicates,
        viewerSeqReused: v.seqReused,
        viewerCloses: describeCounts(v.closes),
        caughtUp,
      },
      summary:
        `outage ${outageS} s (longest time without an ack; sentinels promoted in ${promoted.seconds.toFixed(1)} s); ` +
        `${acks.length} acked, ${stored.lost} acknowledged lost, ${stored.storedTwice} stored twice, ${stored.seqCollisions} seqs handed out twice; ` +
        `${total(p.errorFrames)} send errors (${describeCounts(p.errorFrames)}), ${p.resends} resends; live viewers: ${v.gaps} gaps, ${v.duplicates} dup, ${v.seqReused} reused seqs`,
      checks: [
        ...(opts.replicaAcks > 0 ? [{ name: 'no acknowledged message lost (replica acks on)', ok: stored.lost === 0, detail: String(stored.lost) }] : []),
        { name: 'recovers by itself: every send acknowledged after the failover', ok: p.outstanding === 0 },
        { name: 'live viewers: no gap, no duplicate', ok: v.gaps === 0 && v.duplicates === 0 && caughtUp, detail: `${v.gaps} gaps, ${v.duplicates} dup` },
      ],
    };
  } finally {
    await Promise.all([viewerLg.stop(), publisherLg.stop()]);
    await nodes?.stop();
    await group?.stop();
    await stores.stop([dbName]);
  }
}
