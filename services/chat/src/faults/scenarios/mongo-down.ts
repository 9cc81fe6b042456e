// MongoDB down under load: FerretDB is frozen (SIGSTOP: connections hang, as with a hung host or
// a partition) or killed (SIGKILL, then started again on the same port and data) for `downMs`.
// Chat must go on (Redis holds the backlog in the persistence stream), then the persisters
// drain it. Measured: messages lost, seconds to drain the backlog, what /readyz said meanwhile.
import { Redis } from 'ioredis';
import { redisKeys } from '@chatorbit/shared';
import { waitFor, type SpawnedServer } from '@chatorbit/shared/testing';
import { ChatNodes, checkStored } from '../cluster.ts';
import { LoadGenerator } from '../loadgen/client.ts';
import { startStores } from '../stores.ts';
import { allAcknowledged, describeCounts, mergeViewers, phase, seconds, total, viewersCaughtUp, type RunContext, type ScenarioResult } from '../scenario.ts';

export interface MongoDownOptions {
  mode: 'freeze' | 'kill';
  rate: number;
  downMs: number;
  viewers: number;
}

const PUBLISHERS = 4;
/** Load before the outage. */
const WARMUP_MS = 5_000;

export async function mongoDown(opts: MongoDownOptions, ctx: RunContext): Promise<ScenarioResult> {
  const stores = await startStores();
  let ferret: SpawnedServer = stores.ferret!;
  const dbName = `faults_mongo_${opts.mode}_${ctx.runId}`;
  const prefix = `faults-mongo-${ctx.runId}`;
  const keys = redisKeys(prefix);
  const redis = new Redis(stores.redisUrl, { lazyConnect: true });
  let nodes: ChatNodes | undefined;
  const viewerLg = new LoadGenerator();
  const publisherLg = new LoadGenerator();
  let watcher: NodeJS.Timeout | undefined;
  try {
    await redis.connect();
    nodes = await ChatNodes.start({ nodes: 2, redis: { url: stores.redisUrl }, mongo: { url: stores.mongoUrl, db: dbName }, prefix });
    const cluster = nodes;
    const room = 'outage';
    await Promise.all([viewerLg.init(cluster.wsUrls), publisherLg.init(cluster.wsUrls)]);
    await viewerLg.viewers(await Promise.all(Array.from({ length: opts.viewers }, async (_, i) => ({ node: i % 2, room, token: await cluster.token(i + 1) }))));
    await publisherLg.publishers(
      await Promise.all(Array.from({ length: PUBLISHERS }, async (_, k) => ({ node: k % 2, room, token: await cluster.token(100_000 + k), name: `p${k}`, rate: opts.rate / PUBLISHERS }))),
    );
    ctx.log(`MongoDB ${opts.mode === 'freeze' ? 'frozen' : 'killed'} ${opts.downMs / 1000} s under ${opts.rate} msg/s`);
    await publisherLg.publish(true);
    await phase(WARMUP_MS);

    // The backlog (persistence stream length) and what the nodes' /readyz answer, every 500 ms.
    let peakBacklog = 0;
    const readyz: Record<string, number> = {};
    const watch = async () => {
      peakBacklog = Math.max(peakBacklog, await redis.xlen(keys.persistStream));
      const status = await fetch(`${cluster.url(0)}/readyz`, { signal: AbortSignal.timeout(3_000) }).then((r) => String(r.status), () => 'no answer');
      readyz[status] = (readyz[status] ?? 0) + 1;
    };
    const ackedBefore = (await publisherLg.report()).publishers.acked;
    const downAt = Date.now();
    if (opts.mode === 'freeze') ferret.signal('SIGSTOP');
    else await ferret.kill('SIGKILL');
    watcher = setInterval(() => void watch().catch(() => {}), 500);
    await phase(opts.downMs);
    const ackedDuring = (await publisherLg.report()).publishers.acked - ackedBefore;
    const downS = seconds(Date.now() - downAt);
    clearInterval(watcher);
    const readyzDuring = { ...readyz };
    if (opts.mode === 'freeze') ferret.signal('SIGCONT');
    else ferret = await ferret.restart();
    const backAt = Date.now();
    ctx.log(`  back after ${downS} s; ${ackedDuring} messages acknowledged meanwhile; backlog ${peakBacklog}`);

    // Under the same load: drained once the oldest message not yet in MongoDB is under a second old.
    const lagSeconds = async () => {
      const [[, time], [, first]] = (await redis.multi().time().xrange(keys.persistStream, '-', '+', 'COUNT', 1).exec()) as [
        [unknown, [string, string]],
        [unknown, Array<[string, string[]]>],
      ];
      const oldest = first[0]?.[0];
      return oldest ? Number(time[0]) - Number(oldest.split('-')[0]) / 1000 : 0;
    };
    let drainS: number | null = null;
    try {
      await waitFor(async () => (await lagSeconds()) < 1, { timeoutMs: 300_000, intervalMs: 250, message: 'the backlog to drain' });
      drainS = seconds(Date.now() - backAt);
    } catch (err) {
      ctx.log(`  ${(err as Error).message}`);
    }
    ctx.log(`  backlog drained ${drainS} s after MongoDB came back`);
    await publisherLg.publish(false);

    const acked = await allAcknowledged(publisherLg);
    const caughtUp = await viewersCaughtUp([viewerLg], acked.publishers.rooms);
    const v = mergeViewers([await viewerLg.report()]);
    const p = (await publisherLg.report(true)).publishers;
    const acks = p.acks!;
    await waitFor(async () => (await redis.xlen(keys.persistStream)) === 0, { timeoutMs: 120_000, intervalMs: 250, message: 'an empty persistence stream' }).catch(() => {});
    const stored = await checkStored(stores.mongo.db(dbName), acks);
    const offered = Math.round((opts.rate * opts.downMs) / 1000);

    return {
      id: `mongo-${opts.mode}`,
      title: `MongoDB down ${seconds(opts.downMs)} s (${opts.mode === 'freeze' ? 'SIGSTOP: hung' : 'SIGKILL, then restarted'})`,
      setup: `2 chat nodes, Redis, FerretDB (SQLite); ${opts.viewers} viewers, ${PUBLISHERS} publishers`,
      load: `${opts.rate} msg/s throughout`,
      figures: {
        downS,
        ackedWhileDown: ackedDuring,
        offeredWhileDown: offered,
        peakBacklog,
        drainS,
        readyzWhileDown: describeCounts(readyzDuring),
        acked: acks.length,
        lost: stored.lost,
        storedTwice: stored.storedTwice,
        sendErrors: describeCounts(p.errorFrames),
        viewerGaps: v.gaps,
        viewerDuplicates: v.duplicates,
        viewerCloses: describeCounts(v.closes),
        caughtUp,
      },
      summary:
        `chat went on: ${ackedDuring} of ~${offered} msgs acked while down, ${total(p.errorFrames)} send errors; backlog peaked at ${peakBacklog}, drained ${drainS ?? 'never'} s after MongoDB came back (load still on); ` +
        `${acks.length} acked, ${stored.lost} lost, ${stored.storedTwice} stored twice; viewers ${v.gaps} gaps, ${v.duplicates} dup; chat node /readyz while down: ${describeCounts(readyzDuring)}`,
      checks: [
        { name: 'no acknowledged message lost, none stored twice', ok: stored.lost === 0 && stored.storedTwice === 0, detail: `${stored.lost} lost` },
        { name: 'chat goes on: no send refused while MongoDB is down', ok: total(p.errorFrames) === 0 && ackedDuring > 0 },
        { name: 'live viewers: no gap, no duplicate', ok: v.gaps === 0 && v.duplicates === 0 && caughtUp },
        { name: 'the backlog drains', ok: drainS !== null },
      ],
    };
  } finally {
    clearInterval(watcher);
    if (opts.mode === 'freeze') ferret.signal('SIGCONT');
    await Promise.all([viewerLg.stop(), publisherLg.stop()]);
    await nodes?.stop();
    redis.disconnect();
    await stores.stop([dbName]);
    await ferret.stop(); // the restarted one, if any (stores.stop() stopped the first)
  }
}
