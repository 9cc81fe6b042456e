// A crash: one of three chat nodes, holding `clients` viewers, is SIGKILLed under load. Its
// clients see their sockets drop (1006), reconnect to the survivors and resume with `since`;
// its persister's unwritten messages are taken over by another node (PERSIST_CLAIM_IDLE_MS).
import { waitFor } from '@chatorbit/shared/testing';
import { ChatNodes, checkStored } from '../cluster.ts';
import { LoadGenerator } from '../loadgen/client.ts';
import { startStores, type StoreUrls } from '../stores.ts';
import { allAcknowledged, describeCounts, mergeViewers, phase, seconds, total, viewersCaughtUp, type RunContext, type ScenarioResult } from '../scenario.ts';

export interface NodeKillOptions extends StoreUrls {
  /** Viewers on the node that is killed. */
  clients: number;
  rooms: number;
  /** Messages per second over all rooms. */
  rate: number;
  /** Load before the kill, and after everyone resumed. */
  phaseMs: number;
}

const NODES = 3;
const VICTIM = 2;
/** Viewers per room on each survivor, to see the survivors' sockets are not disturbed. */
const CONTROL_PER_ROOM = 5;

export async function nodeKill(opts: NodeKillOptions, ctx: RunContext): Promise<ScenarioResult> {
  const stores = await startStores(opts);
  const dbName = `faults_kill_${ctx.runId}`;
  let nodes: ChatNodes | undefined;
  const victimLg = new LoadGenerator(); // the killed node's clients
  const otherLg = new LoadGenerator(); // publishers and the survivors' viewers
  try {
    nodes = await ChatNodes.start({
      nodes: NODES,
      redis: { url: stores.redisUrl },
      mongo: { url: stores.mongoUrl, db: dbName },
      prefix: `faults-kill-${ctx.runId}`,
    });
    const cluster = nodes;
    await Promise.all([victimLg.init(cluster.wsUrls), otherLg.init(cluster.wsUrls)]);
    const rooms = Array.from({ length: opts.rooms }, (_, r) => `stream-${r}`);
    await victimLg.viewers(
      await Promise.all(Array.from({ length: opts.clients }, async (_, i) => ({ node: VICTIM, room: rooms[i % rooms.length]!, token: await cluster.token(i + 1) }))),
    );
    await otherLg.viewers(
      await Promise.all(
        Array.from({ length: rooms.length * CONTROL_PER_ROOM * 2 }, async (_, i) => ({ node: i % 2, room: rooms[i % rooms.length]!, token: await cluster.token(100_000 + i) })),
      ),
    );
    await otherLg.publishers(
      await Promise.all(rooms.map(async (room, r) => ({ node: r % 2, room, token: await cluster.token(200_000 + r), name: `p${r}`, rate: opts.rate / rooms.length }))),
    );
    ctx.log(`node kill: ${opts.clients} viewers on node ${VICTIM}, ${opts.rate} msg/s in ${rooms.length} rooms`);
    await otherLg.publish(true);
    await phase(opts.phaseMs);

    const killedAt = Date.now();
    await cluster.signal(VICTIM, 'SIGKILL');
    await waitFor(
      async () => {
        const r = await victimLg.report();
        return r.viewers.joined === r.viewers.total;
      },
      { timeoutMs: 120_000, intervalMs: 100, message: `the ${opts.clients} viewers of the killed node to resume` },
    );
    const resumed = mergeViewers([await victimLg.report()]);
    const allResumedS = seconds(resumed.lastResumeAt - killedAt);
    ctx.log(`  all ${opts.clients} resumed on the survivors ${allResumedS} s after the kill`);
    await phase(opts.phaseMs);
    await otherLg.publish(false);

    const acked = await allAcknowledged(otherLg);
    const caughtUp = await viewersCaughtUp([victimLg, otherLg], acked.publishers.rooms);
    const victims = mergeViewers([await victimLg.report()]);
    const others = await otherLg.report(true);
    const control = mergeViewers([others]);
    const acks = others.publishers.acks!;
    // The killed node's persister may have held a batch read and not written: another node takes
    // it over once it has been idle PERSIST_CLAIM_IDLE_MS (30 s by default).
    const db = stores.mongo.db(dbName);
    const stored = await waitFor(async () => {
      const check = await checkStored(db, acks);
      return check.lost === 0 ? check : undefined;
    }, { timeoutMs: 90_000, intervalMs: 1_000, message: 'every acknowledged message in MongoDB' }).catch(() => checkStored(db, acks));
    const storedAllS = seconds(Date.now() - killedAt);

    return {
      id: 'node-kill',
      title: `SIGKILL one of three chat nodes holding ${opts.clients} clients`,
      setup: `${NODES} chat nodes, Redis, FerretDB; ${opts.clients} viewers on the killed node, ${rooms.length * CONTROL_PER_ROOM * 2} on the survivors, ${rooms.length} rooms`,
      load: `${opts.rate} msg/s (${rooms.length} publishers on the survivors); clients reconnect after a random 0–500 ms`,
      figures: {
        allResumedS,
        resumes: victims.resumes,
        gaps: victims.gaps,
        duplicates: victims.duplicates,
        seqReused: victims.seqReused,
        unrecovered: victims.unrecovered,
        victimCloses: describeCounts(victims.closes),
        reconnectFailures: victims.connectFailures,
        controlCloses: describeCounts(control.closes),
        controlGaps: control.gaps,
        controlDuplicates: control.duplicates,
        acked: acks.length,
        publisherErrorFrames: describeCounts(others.publishers.errorFrames),
        lost: stored.lost,
        storedTwice: stored.storedTwice,
        secondsUntilAllStored: storedAllS,
        caughtUp,
      },
      summary:
        `all ${opts.clients} resumed on the survivors ${allResumedS} s after the kill (${victims.connectFailures} failed attempts); ` +
        `${victims.gaps} gaps, ${victims.duplicates} dup, ${victims.unrecovered} not recovered; survivors' sockets: ${total(control.closes)} closes, ${control.gaps} gaps; ` +
        `${acks.length} acked, ${stored.lost} lost (all in MongoDB ${storedAllS} s after the kill)`,
      checks: [
        { name: 'every client of the killed node resumed, no gap, no duplicate', ok: victims.resumes >= opts.clients && victims.gaps === 0 && victims.duplicates === 0 && victims.seqReused === 0 && victims.unrecovered === 0 && caughtUp },
        { name: "the survivors' sockets undisturbed", ok: total(control.closes) === 0 && control.gaps === 0 && control.duplicates === 0 },
        { name: 'every acknowledged message stored once', ok: stored.lost === 0 && stored.storedTwice === 0 },
      ],
    };
  } finally {
    await Promise.all([victimLg.stop(), otherLg.stop()]);
    await nodes?.stop();
    await stores.stop([dbName]);
  }
}
