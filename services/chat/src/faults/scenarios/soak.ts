// Soak: moderate load for `minutes` with viewers leaving and joining all along (churn), the
// chat nodes' memory sampled throughout after a full garbage collection (through the V8
// inspector: what is still referenced, not the garbage heapUsed counts between collections), and
// their RSS. A leak shows as retained memory that keeps rising: the median of the first minute
// after warm-up is compared with the last minute's, and all of it fitted with a line (MB/hour).
import { waitFor } from '@chatorbit/shared/testing';
import { ChatNodes, checkStored } from '../cluster.ts';
import type { MemoryAfterGc } from '../inspector.ts';
import { processCpuMs } from '@chatorbit/shared/testing';
import { LoadGenerator } from '../loadgen/client.ts';
import { startStores, type StoreUrls } from '../stores.ts';
import { allAcknowledged, describeCounts, mb, mergeViewers, phase, total, viewersCaughtUp, type RunContext, type ScenarioResult } from '../scenario.ts';

export interface SoakOptions extends StoreUrls {
  minutes: number;
  viewers: number;
  rooms: number;
  rate: number;
  /** Viewers that leave and join again, per second. */
  churnPerSec: number;
  sampleEveryMs: number;
}

const NODES = 2;

interface Point {
  atS: number;
  node: number;
  sample: MemoryAfterGc & { cpuMs: number };
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/** The median of the values within `windowS` of the first point, and of the last. */
function ends(points: Array<[number, number]>, windowS: number): [number, number] {
  const median = (ys: number[]) => {
    const sorted = [...ys].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };
  if (points.length === 0) return [0, 0];
  const first = points[0]![0];
  const last = points.at(-1)![0];
  return [median(points.filter(([x]) => x <= first + windowS).map(([, y]) => y)), median(points.filter(([x]) => x >= last - windowS).map(([, y]) => y))];
}

export async function soak(opts: SoakOptions, ctx: RunContext): Promise<ScenarioResult> {
  const stores = await startStores(opts);
  const dbName = `faults_soak_${ctx.runId}`;
  let nodes: ChatNodes | undefined;
  const viewerLg = new LoadGenerator();
  const publisherLg = new LoadGenerator();
  let sampler: NodeJS.Timeout | undefined;
  try {
    nodes = await ChatNodes.start({
      nodes: NODES,
      redis: { url: stores.redisUrl },
      mongo: { url: stores.mongoUrl, db: dbName },
      prefix: `faults-soak-${ctx.runId}`,
      inspect: true,
    });
    const cluster = nodes;
    await Promise.all([viewerLg.init(cluster.wsUrls), publisherLg.init(cluster.wsUrls)]);
    const rooms = Array.from({ length: opts.rooms }, (_, r) => `soak-${r}`);
    await viewerLg.viewers(await Promise.all(Array.from({ length: opts.viewers }, async (_, i) => ({ node: i % NODES, room: rooms[i % rooms.length]!, token: await cluster.token(i + 1) }))));
    await publisherLg.publishers(await Promise.all(rooms.map(async (room, r) => ({ node: r % NODES, room, token: await cluster.token(100_000 + r), name: `p${r}`, rate: opts.rate / rooms.length }))));
    ctx.log(`soak: ${opts.minutes} min, ${opts.viewers} viewers in ${rooms.length} rooms, ${opts.rate} msg/s, ${opts.churnPerSec} viewers/s leave and rejoin`);

    const startedAt = Date.now();
    const points: Point[] = [];
    const take = async () => {
      const atS = (Date.now() - startedAt) / 1000;
      for (let i = 0; i < NODES; i++) {
        const memory = await cluster.memoryAfterGc(i);
        points.push({ atS, node: i, sample: { ...memory, cpuMs: processCpuMs(cluster.pid(i)!) } });
      }
    };
    await take();
    sampler = setInterval(() => void take().catch(() => {}), opts.sampleEveryMs);
    await publisherLg.publish(true);
    await viewerLg.churn(opts.churnPerSec);
    const totalMs = opts.minutes * 60_000;
    for (let done = 0; done < totalMs; done += 60_000) {
      await phase(Math.min(60_000, totalMs - done));
      const last = points.slice(-NODES);
      ctx.log(`  ${Math.round((done + Math.min(60_000, totalMs - done)) / 60_000)} min: ${last.map((p) => `node ${p.node} heap after GC ${mb(p.sample.heapUsedBytes)} MB, RSS ${mb(p.sample.rssKb * 1024)} MB`).join('; ')}`);
    }
    clearInterval(sampler);
    await take();
    await viewerLg.churn(0);
    await publisherLg.publish(false);

    const acked = await allAcknowledged(publisherLg);
    const caughtUp = await viewersCaughtUp([viewerLg], acked.publishers.rooms);
    const v = mergeViewers([await viewerLg.report()]);
    const vr = (await viewerLg.report()).viewers;
    const p = (await publisherLg.report(true)).publishers;
    const acks = p.acks!;
    const db = stores.mongo.db(dbName);
    const stored = await waitFor(async () => {
      const check = await checkStored(db, acks);
      return check.lost === 0 ? check : undefined;
    }, { timeoutMs: 30_000, intervalMs: 1_000, message: 'every acknowledged message in MongoDB' }).catch(() => checkStored(db, acks));

    // Warm-up: the first tenth of the run (at least one sample period, at most 3 minutes) is left out.
    const warmupS = Math.min(180, Math.max(opts.sampleEveryMs / 1000, (opts.minutes * 60) / 10));
    const windowS = 60;
    const perNode = Array.from({ length: NODES }, (_, node) => {
      const all = points.filter((p) => p.node === node);
      const mine = all.filter((p) => p.atS >= warmupS);
      const heap = mine.map((p): [number, number] => [p.atS, p.sample.heapUsedBytes]);
      const external = mine.map((p): [number, number] => [p.atS, p.sample.externalBytes]);
      const rss = mine.map((p): [number, number] => [p.atS, p.sample.rssKb * 1024]);
      const [heapFirst, heapLast] = ends(heap, windowS);
      const [externalFirst, externalLast] = ends(external, windowS);
      const [rssFirst, rssLast] = ends(rss, windowS);
      const perHour = (points: Array<[number, number]>) => Math.round(((slope(points) * 3600) / 1024 / 1024) * 10) / 10;
      return {
        node,
        heapFirstMb: mb(heapFirst),
        heapLastMb: mb(heapLast),
        heapMbPerHour: perHour(heap),
        externalFirstMb: mb(externalFirst),
        externalLastMb: mb(externalLast),
        rssFirstMb: mb(rssFirst),
        rssLastMb: mb(rssLast),
        rssMbPerHour: perHour(rss),
        rssMaxMb: mb(Math.max(...all.map((p) => p.sample.rssKb * 1024))),
        cpuPct: all.length > 1 ? Math.round((100 * (all.at(-1)!.sample.cpuMs - all[0]!.sample.cpuMs)) / ((all.at(-1)!.atS - all[0]!.atS) * 1000)) : null,
      };
    });
    // The verdict: on every node, retained heap and external memory of the last minute within 10 %
    // (or 2 MB) of the first minute after warm-up.
    const within = (first: number, last: number) => last - first <= Math.max(2, first * 0.1);
    const flat = perNode.every((n) => within(n.heapFirstMb, n.heapLastMb) && within(n.externalFirstMb, n.externalLastMb));
    return {
      id: 'soak',
      title: `Soak, ${opts.minutes} min at moderate load`,
      setup: `${NODES} chat nodes, Redis, FerretDB; ${opts.viewers} viewers in ${rooms.length} rooms, ${opts.churnPerSec}/s leave and rejoin`,
      load: `${opts.rate} msg/s; heap and RSS sampled every ${opts.sampleEveryMs / 1000} s`,
      figures: {
        minutes: opts.minutes,
        acked: acks.length,
        delivered: v.received,
        rejoins: vr.churned,
        gaps: v.gaps,
        duplicates: v.duplicates,
        viewerCloses: describeCounts(v.closes),
        errorFrames: total(v.errorFrames) + total(p.errorFrames),
        lost: stored.lost,
        storedTwice: stored.storedTwice,
        caughtUp,
        warmupS,
        ...Object.fromEntries(perNode.flatMap((n) => Object.entries(n).filter(([k]) => k !== 'node').map(([k, value]) => [`node${n.node}.${k}`, value]))),
      },
      series: {
        columns: ['seconds', 'node', 'heapAfterGcKb', 'externalAfterGcKb', 'rssKb', 'cpuMs'],
        rows: points.map((p) => [Math.round(p.atS), p.node, Math.round(p.sample.heapUsedBytes / 1024), Math.round(p.sample.externalBytes / 1024), p.sample.rssKb, Math.round(p.sample.cpuMs)]),
      },
      summary:
        perNode
          .map(
            (n) =>
              `node ${n.node}: heap after GC ${n.heapFirstMb} → ${n.heapLastMb} MB (${n.heapMbPerHour} MB/h), external ${n.externalFirstMb} → ${n.externalLastMb} MB, ` +
              `RSS ${n.rssFirstMb} → ${n.rssLastMb} MB (${n.rssMbPerHour} MB/h), CPU ${n.cpuPct}%`,
          )
          .join('; ') +
        `; ${acks.length} msgs, ${vr.churned} rejoins, ${v.gaps} gaps, ${v.duplicates} dup, ${stored.lost} lost, ${total(v.errorFrames) + total(p.errorFrames)} errors`,
      checks: [
        {
          name: 'memory flat after warm-up (heap and external after GC: last minute within 10 % or 2 MB of the first)',
          ok: flat,
          detail: perNode.map((n) => `heap ${n.heapFirstMb}→${n.heapLastMb} MB, external ${n.externalFirstMb}→${n.externalLastMb} MB`).join('; '),
        },
        { name: 'no gap, duplicate, error or loss', ok: v.gaps === 0 && v.duplicates === 0 && total(v.closes) === 0 && total(v.errorFrames) + total(p.errorFrames) === 0 && stored.lost === 0 && stored.storedTwice === 0 && caughtUp },
      ],
    };
  } finally {
    clearInterval(sampler);
    await Promise.all([viewerLg.stop(), publisherLg.stop()]);
    await nodes?.stop();
    await stores.stop([dbName]);
  }
}
