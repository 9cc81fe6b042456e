// A rolling restart: SIGTERM each of three chat nodes in turn under load, each started again
// (same port, new node id) before the next one goes. The clients of a stopping node get 1001,
// reconnect to another node and resume with `since`; publishers resend what had no ack with the
// same nonce. Nothing may be missing, nothing twice, and no client may see an error.
import { waitFor } from '@chatorbit/shared/testing';
import { ChatNodes, checkStored } from '../cluster.ts';
import { LoadGenerator } from '../loadgen/client.ts';
import type { PublisherSpec, ViewerSpec } from '../loadgen/protocol.ts';
import { startStores, type StoreUrls } from '../stores.ts';
import { allAcknowledged, describeCounts, mergeViewers, phase, seconds, total, viewersCaughtUp, type RunContext, type ScenarioResult } from '../scenario.ts';

export interface RollingRestartOptions extends StoreUrls {
  viewers: number;
  rooms: number;
  /** Messages per second over all rooms. */
  rate: number;
  /** Load before the first SIGTERM and between restarts. */
  settleMs: number;
}

const NODES = 3;

export async function rollingRestart(opts: RollingRestartOptions, ctx: RunContext): Promise<ScenarioResult> {
  const stores = await startStores(opts);
  const dbName = `faults_rolling_${ctx.runId}`;
  let nodes: ChatNodes | undefined;
  const viewerLg = new LoadGenerator();
  const publisherLg = new LoadGenerator();
  try {
    nodes = await ChatNodes.start({
      nodes: NODES,
      redis: { url: stores.redisUrl },
      mongo: { url: stores.mongoUrl, db: dbName },
      prefix: `faults-rolling-${ctx.runId}`,
    });
    const cluster = nodes;
    await Promise.all([viewerLg.init(cluster.wsUrls), publisherLg.init(cluster.wsUrls)]);
    const rooms = Array.from({ length: opts.rooms }, (_, r) => `rolling-${r}`);
    const viewers: ViewerSpec[] = await Promise.all(
      Array.from({ length: opts.viewers }, async (_, i) => ({ node: i % NODES, room: rooms[i % rooms.length]!, token: await cluster.token(i + 1) })),
    );
    // Two publishers per room, on two different nodes: restarts hit publishers too.
    const publishers: PublisherSpec[] = await Promise.all(
      rooms.flatMap((room, r) =>
        [0, 1].map(async (k) => ({
          node: (r + k) % NODES,
          room,
          token: await cluster.token(1_000_000 + r * 2 + k),
          name: `p${r}.${k}`,
          rate: opts.rate / (rooms.length * 2),
        })),
      ),
    );
    ctx.log(`rolling restart: ${viewers.length} viewers, ${publishers.length} publishers, ${opts.rate} msg/s`);
    await viewerLg.viewers(viewers);
    await publisherLg.publishers(publishers);
    await publisherLg.publish(true);
    await phase(opts.settleMs);

    const restarts: Array<{ node: number; exit: number | string; shutdownS: number; everyoneBackS: number; restartedS: number }> = [];
    for (let i = 0; i < NODES; i++) {
      const from = Date.now();
      const exit = await cluster.signal(i, 'SIGTERM');
      const shutdownS = seconds(Date.now() - from);
      // The clients do not wait for the node to come back: they resume on the other two.
      const [everyoneBackS, restartedS] = await Promise.all([
        waitFor(
          async () => {
            const [v, p] = await Promise.all([viewerLg.report(), publisherLg.report()]);
            return v.viewers.joined === v.viewers.total && p.publishers.joined === p.publishers.total;
          },
          { timeoutMs: 60_000, intervalMs: 100, message: `every client back after node ${i} stopped` },
        ).then(() => seconds(Date.now() - from)),
        cluster.startNode(i).then(() => seconds(Date.now() - from)),
      ]);
      restarts.push({ node: i, exit, shutdownS, everyoneBackS, restartedS });
      ctx.log(`  node ${i}: exit ${exit} ${shutdownS} s after SIGTERM; every client back after ${everyoneBackS} s; node ready again after ${restartedS} s`);
      await phase(opts.settleMs);
    }

    await publisherLg.publish(false);
    const acked = await allAcknowledged(publisherLg);
    const caughtUp = await viewersCaughtUp([viewerLg], acked.publishers.rooms);
    const v = mergeViewers([await viewerLg.report()]);
    const p = (await publisherLg.report(true)).publishers;
    const acks = p.acks!;
    const db = stores.mongo.db(dbName);
    const stored = await waitFor(async () => {
      const check = await checkStored(db, acks);
      return check.lost === 0 ? check : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, message: 'every acknowledged message in MongoDB' }).catch(() => checkStored(db, acks));

    const viewerCloses = Object.entries(v.closes).filter(([code]) => code !== '1001');
    const publisherCloses = Object.entries(p.closes).filter(([code]) => code !== '1001');
    const errors = total(v.errorFrames) + total(p.errorFrames) + viewerCloses.length + publisherCloses.length + v.connectFailures + p.connectFailures;
    return {
      id: 'rolling-restart',
      title: 'Graceful rolling restart (SIGTERM each chat node in turn)',
      setup: `${NODES} chat nodes, Redis, FerretDB; ${opts.viewers} viewers in ${opts.rooms} rooms, ${publishers.length} publishers, spread over the nodes`,
      load: `${opts.rate} msg/s`,
      figures: {
        acked: acks.length,
        resends: p.resends,
        viewerGaps: v.gaps,
        viewerDuplicates: v.duplicates,
        seqReused: v.seqReused,
        unrecovered: v.unrecovered,
        viewerCloses: describeCounts(v.closes),
        publisherCloses: describeCounts(p.closes),
        viewerErrorFrames: describeCounts(v.errorFrames),
        publisherErrorFrames: describeCounts(p.errorFrames),
        connectFailures: v.connectFailures + p.connectFailures,
        resumes: v.resumes,
        lost: stored.lost,
        storedTwice: stored.storedTwice,
        caughtUp,
        ...Object.fromEntries(
          restarts.flatMap((r) => [
            [`node${r.node}Exit`, r.exit],
            [`node${r.node}ShutdownS`, r.shutdownS],
            [`node${r.node}EveryoneBackS`, r.everyoneBackS],
            [`node${r.node}ReadyAgainS`, r.restartedS],
          ]),
        ),
      },
      summary:
        `${acks.length} msgs acked, ${v.resumes} resumes: ${v.gaps} gaps, ${v.duplicates} dup, ${stored.lost} lost, ${stored.storedTwice} stored twice; ` +
        `client errors ${errors} (closes: viewers ${describeCounts(v.closes)}, publishers ${describeCounts(p.closes)}); ` +
        `shutdown ${restarts.map((r) => r.shutdownS).join('/')} s, all back ${restarts.map((r) => r.everyoneBackS).join('/')} s after each SIGTERM`,
      checks: [
        { name: 'no gap, no duplicate, every resume recovered', ok: v.gaps === 0 && v.duplicates === 0 && v.seqReused === 0 && v.unrecovered === 0 && caughtUp },
        { name: 'no client sees an error (error frames, closes other than 1001, failed connects)', ok: errors === 0, detail: String(errors) },
        { name: 'every node exits 0 on SIGTERM', ok: restarts.every((r) => r.exit === 0) },
        { name: 'every acknowledged message stored once', ok: stored.lost === 0 && stored.storedTwice === 0 && p.conflictingAcks === 0 },
      ],
    };
  } finally {
    await Promise.all([viewerLg.stop(), publisherLg.stop()]);
    await nodes?.stop();
    await stores.stop([dbName]);
  }
}
