// Slow consumers: some viewers of a busy room stop reading their sockets. The chat node must
// close each with 4508 once MAX_BUFFERED_BYTES wait unsent to it, and stop queueing for it, so
// its memory stays bounded while the room goes on; the other viewers must not notice. The slow
// ones read again afterwards: they get what was buffered, then the 4508 close, and resume.
import { sampleValue, scrapeMetrics, waitFor } from '@chatorbit/shared/testing';
import { ChatNodes, type NodeSample } from '../cluster.ts';
import { LoadGenerator } from '../loadgen/client.ts';
import { startStores, type StoreUrls } from '../stores.ts';
import { allAcknowledged, describeCounts, mb, mergeViewers, phase, seconds, total, viewersCaughtUp, type RunContext, type ScenarioResult } from '../scenario.ts';

export interface SlowConsumerOptions extends StoreUrls {
  slow: number;
  normal: number;
  rate: number;
  /** Characters of 3 bytes (€) added to every text: bigger messages fill buffers sooner. */
  padChars: number;
  /** Everyone reads for this long first (0: the slow ones never read). */
  warmupMs: number;
  /** The load goes on this long after the last slow consumer was closed (memory must stay flat). */
  afterCloseMs: number;
  /** MAX_BUFFERED_BYTES of the chat node (default: the product's default, 1 MiB). */
  maxBufferedBytes?: number;
}

export async function slowConsumer(opts: SlowConsumerOptions, ctx: RunContext): Promise<ScenarioResult> {
  const stores = await startStores(opts);
  const dbName = `faults_slow_${ctx.runId}`;
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  let nodes: ChatNodes | undefined;
  const normalLg = new LoadGenerator();
  const slowLg = new LoadGenerator();
  const samples: NodeSample[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    nodes = await ChatNodes.start({
      nodes: 1,
      redis: { url: stores.redisUrl },
      mongo: { url: stores.mongoUrl, db: dbName },
      prefix: `faults-slow-${ctx.runId}`,
      env: { MAX_BUFFERED_BYTES: String(maxBuffered) },
      inspect: true,
    });
    const cluster = nodes;
    const room = 'firehose';
    await Promise.all([normalLg.init(cluster.wsUrls), slowLg.init(cluster.wsUrls)]);
    await normalLg.viewers(await Promise.all(Array.from({ length: opts.normal }, async (_, i) => ({ node: 0, room, token: await cluster.token(i + 1) }))));
    await slowLg.viewers(await Promise.all(Array.from({ length: opts.slow }, async (_, i) => ({ node: 0, room, token: await cluster.token(10_000 + i) }))));
    const messageBytes = opts.padChars * 3 + 150; // one message in a frame, about
    const slowOnes = Array.from({ length: opts.slow }, (_, i) => i);
    await normalLg.publishers([{ node: 0, room, token: await cluster.token(99_999), name: 'p', rate: opts.rate, pad: '€'.repeat(opts.padChars) }]);
    const slowConsumersClosed = async () => sampleValue((await scrapeMetrics(cluster.url(0))).samples, 'chatorbit_ws_slow_consumers_total');
    const sample = async () => {
      const s = await cluster.sample(0);
      if (s) samples.push(s);
      return s!;
    };
    const retained = async () => {
      const m = await cluster.memoryAfterGc(0);
      return m.heapUsedBytes + m.externalBytes;
    };
    const base = await sample();
    const retainedBase = await retained();
    sampler = setInterval(() => void sample().catch(() => {}), 500);
    ctx.log(`slow consumer: ${opts.slow} slow + ${opts.normal} normal viewers, ${opts.rate} msg/s of ~${messageBytes} bytes`);

    if (opts.warmupMs === 0) await slowLg.reading(slowOnes, false);
    await normalLg.publish(true);
    await phase(opts.warmupMs);
    const warm = await sample();
    const retainedWarm = await retained();
    const pausedAt = Date.now();
    await slowLg.reading(slowOnes, false);
    await waitFor(async () => (await slowConsumersClosed()) >= opts.slow, {
      timeoutMs: 180_000,
      intervalMs: 250,
      message: `the ${opts.slow} slow consumers to be closed`,
    });
    const closedAfterMs = Date.now() - pausedAt;
    const atClose = await sample();
    const retainedAtClose = await retained();
    ctx.log(`  all ${opts.slow} closed ${seconds(closedAfterMs)} s after they stopped reading`);
    await phase(opts.afterCloseMs);
    const afterLoad = await sample();
    const retainedAfterLoad = await retained();
    const peakRss = Math.max(...samples.map((s) => s.rssKb));
    const peakHeap = Math.max(...samples.map((s) => s.heapUsedBytes));

    // Reading again: the buffered frames, then the close (4508), then a resume elsewhere (here: the same node).
    await slowLg.reading(slowOnes, true);
    await waitFor(
      async () => {
        const r = await slowLg.report();
        return (r.viewers.closes['4508'] ?? 0) >= opts.slow && r.viewers.joined === r.viewers.total;
      },
      { timeoutMs: 60_000, intervalMs: 250, message: 'the slow viewers to see 4508 and resume' },
    ).catch(() => undefined); // reported below
    await normalLg.publish(false);
    const acked = await allAcknowledged(normalLg);
    const caughtUp = await viewersCaughtUp([normalLg, slowLg], acked.publishers.rooms);
    clearInterval(sampler);
    const normal = mergeViewers([await normalLg.report()]);
    const slow = mergeViewers([await slowLg.report()]);
    // What the slow sockets were not sent (on the wire): a server without the bound would queue it.
    const notSentMb = mb(((opts.rate * (closedAfterMs + opts.afterCloseMs)) / 1000) * messageBytes * opts.slow);
    const growth = retainedAtClose - retainedWarm;
    const bound = opts.slow * 2 * maxBuffered + 32 * 1024 * 1024;
    return {
      id: 'slow-consumer',
      title: 'Slow consumers (viewers that stop reading)',
      setup: `1 chat node, Redis, FerretDB; ${opts.slow} slow + ${opts.normal} normal viewers in one room; MAX_BUFFERED_BYTES ${maxBuffered}`,
      load: `${opts.rate} msg/s of ~${messageBytes} bytes`,
      figures: {
        closedAfterS: seconds(closedAfterMs),
        slowCloses: describeCounts(slow.closes),
        slowResumes: slow.resumes,
        slowUnrecovered: slow.unrecovered,
        normalGaps: normal.gaps,
        normalDuplicates: normal.duplicates,
        normalCloses: describeCounts(normal.closes),
        rssBaseMb: mb(base.rssKb * 1024),
        rssWarmMb: mb(warm.rssKb * 1024),
        rssAtCloseMb: mb(atClose.rssKb * 1024),
        rssPeakMb: mb(peakRss * 1024),
        rssAfterLoadMb: mb(afterLoad.rssKb * 1024),
        heapBaseMb: mb(base.heapUsedBytes),
        heapPeakMb: mb(peakHeap),
        heapAfterLoadMb: mb(afterLoad.heapUsedBytes),
        retainedBaseMb: mb(retainedBase),
        retainedWarmMb: mb(retainedWarm),
        retainedAtCloseMb: mb(retainedAtClose),
        retainedAfterLoadMb: mb(retainedAfterLoad),
        notSentMb,
        caughtUp,
      },
      summary:
        `all ${opts.slow} slow viewers closed with ${describeCounts(slow.closes)} ${seconds(closedAfterMs)} s after they stopped reading, then resumed (${slow.unrecovered} of them more than RESUME_MAX_MESSAGES behind: recovered:false, as documented); ` +
        `server memory after GC (heap + buffers) ${mb(retainedWarm)} MB before they stopped reading, ${mb(retainedAtClose)} MB at the closes, ${mb(retainedAfterLoad)} MB ${seconds(opts.afterCloseMs)} s later under the same load ` +
        `(${notSentMb} MB not sent to them); RSS ${mb(base.rssKb * 1024)} → peak ${mb(peakRss * 1024)} MB; normal viewers: ${normal.gaps} gaps, ${normal.duplicates} dup, closes ${describeCounts(normal.closes)}`,
      checks: [
        { name: 'every slow viewer closed with 4508, then resumed', ok: (slow.closes['4508'] ?? 0) === opts.slow && total(slow.closes) === opts.slow && slow.resumes === opts.slow, detail: describeCounts(slow.closes) },
        {
          name: `server memory bounded: retained after GC grows by at most 2 × MAX_BUFFERED_BYTES per slow socket + 32 MB (${mb(bound)} MB), and not after the closes`,
          ok: growth <= bound && retainedAfterLoad - retainedAtClose <= 16 * 1024 * 1024,
          detail: `+${mb(growth)} MB, then ${mb(retainedAfterLoad - retainedAtClose)} MB`,
        },
        { name: 'normal viewers unaffected (no gap, duplicate, close or error)', ok: normal.gaps === 0 && normal.duplicates === 0 && total(normal.closes) === 0 && total(normal.errorFrames) === 0 && caughtUp },
      ],
    };
  } finally {
    clearInterval(sampler);
    await Promise.all([normalLg.stop(), slowLg.stop()]);
    await nodes?.stop();
    await stores.stop([dbName]);
  }
}
