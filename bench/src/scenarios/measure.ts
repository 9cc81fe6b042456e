import { setTimeout as sleep } from 'node:timers/promises';
import { Histogram } from '../loadgen/histogram.ts';
import type { Snapshot } from '../loadgen/protocol.ts';
import type { Session, Usage } from './session.ts';
import { membersPerRoom } from './topology.ts';

export interface Latency {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  samples: number;
}

export interface Measurement {
  /** Messages per second offered by the publishers (the schedule). */
  rateIn: number;
  /** Messages per second the publishers actually sent in the window. */
  sentPerSec: number;
  /** Messages received per second by every member of every room, in the window. */
  deliveredPerSec: number;
  /** After the drain: messages received ÷ (messages sent × members per room). */
  deliveredRatio: number;
  latencyMs: Latency;
  latencyMsByNode: Latency[];
  /** Server CPU time (all server processes, user + system) per 1,000 deliveries. */
  serverCpuMsPer1k: number | null;
  /** Server CPU use in the window, in % of one core (summed over processes). */
  serverCpuPercent: number;
  /** The same by process: one near 100 is a saturated event loop, whatever the sum says. */
  serverCpuPercentByNode: number[];
  /** Share of the server CPU spent in the kernel (0–1): on loopback a socket write also pays for the receiving side's TCP. */
  serverSystemShare: number | null;
  redisCpuMsPer1k: number | null;
  redisCpuPercent: number;
  /** Load generators: all together, and the busiest one (100 = a full core: it is the limit). */
  loadgenCpuPercent: number;
  loadgenBusiestWorkerPercent: number;
  /** The whole machine's CPU in the window, % of all cores: near 100, everything competes. */
  machineCpuPercent: number;
  serverRssMb: number;
  avgFrameBytes: number | null;
  messagesPerFrame: number | null;
  sendErrors: number;
  behind: number;
  gaps: number;
  reorders: number;
  dropped: number;
  closeCodes: Record<string, number>;
}

export interface MeasureSpec {
  ratePerRoom: number;
  warmupMs: number;
  windowMs: number;
  /** Longest wait, after publishing stops, for messages still in flight. */
  drainMs: number;
}

interface Totals extends Omit<Snapshot, 'latency' | 'closeCodes' | 'at' | 'publishing'> {
  publishing: boolean;
  latency: Histogram[];
  closeCodes: Record<string, number>;
}

function sum(snaps: Snapshot[]): Totals {
  const nodes = snaps[0]?.latency.length ?? 0;
  const t: Totals = {
    publishing: snaps.some((s) => s.publishing),
    received: 0, frames: 0, sent: 0, acked: 0, sendErrors: 0, behind: 0, gaps: 0, reorders: 0,
    sampledBytes: 0, sampledFrames: 0, dropped: 0,
    latency: Array.from({ length: nodes }, () => new Histogram()),
    closeCodes: {},
  };
  for (const s of snaps) {
    for (const k of ['received', 'frames', 'sent', 'acked', 'sendErrors', 'behind', 'gaps', 'reorders', 'sampledBytes', 'sampledFrames', 'dropped'] as const) {
      t[k] += s[k];
    }
    s.latency.forEach((counts, node) => t.latency[node]!.add(new Histogram(counts)));
    for (const [code, n] of Object.entries(s.closeCodes)) t.closeCodes[code] = (t.closeCodes[code] ?? 0) + n;
  }
  return t;
}

function diffHistogram(a: Histogram, b: Histogram): Histogram {
  return new Histogram(b.counts.map((c, i) => c - a.counts[i]!));
}

function latencyOf(h: Histogram): Latency {
  const q = (x: number) => h.quantileMs(x) ?? null;
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), samples: h.total };
}

const perK = (cpu: number, deliveries: number) => (deliveries > 0 ? (cpu / deliveries) * 1000 : null);
const percent = (cpu: number, ms: number) => (ms > 0 ? (cpu / ms) * 100 : 0);

/**
 * Publishes at ratePerRoom into every room for warmup + window, then waits for the tail.
 * Rates, CPU and RSS are read over the window; latency covers messages sent in the window,
 * whenever they arrived (up to the drain), so a backlog shows in p99 rather than vanishing.
 */
export async function measure(session: Session, spec: MeasureSpec): Promise<Measurement> {
  const { pool, topology } = session;
  const totalRate = spec.ratePerRoom * topology.rooms.length;
  const start = sum(await pool.snapshots());
  const startAt = Date.now() + 200;
  const from = startAt + spec.warmupMs;
  const to = from + spec.windowMs;
  await pool.publish({ totalRate, startAt, endAt: to, window: { from, to } });

  await sleep(from - Date.now());
  const a = sum(await pool.snapshots());
  const ua: Usage = session.usage();
  await sleep(Math.max(0, to - Date.now()));
  const b = sum(await pool.snapshots());
  const ub: Usage = session.usage();

  const members = membersPerRoom(topology);
  let end = b;
  const drainUntil = Date.now() + spec.drainMs;
  for (;;) {
    const expected = (end.sent - start.sent) * members;
    if ((!end.publishing && end.received - start.received >= expected) || Date.now() >= drainUntil) break;
    await sleep(100);
    end = sum(await pool.snapshots());
  }

  const windowMs = ub.at - ua.at;
  const delivered = b.received - a.received;
  const serverCpu = ub.serverCpuMs - ua.serverCpuMs;
  const redisCpu = ub.redisCpuMs - ua.redisCpuMs;
  const sent = end.sent - start.sent;
  const latency = end.latency.map((h, i) => diffHistogram(start.latency[i]!, h));
  const all = new Histogram();
  for (const h of latency) all.add(h);
  const sampledFrames = end.sampledFrames - start.sampledFrames;
  const frames = b.frames - a.frames;
  return {
    rateIn: totalRate,
    sentPerSec: ((b.sent - a.sent) / windowMs) * 1000,
    deliveredPerSec: (delivered / windowMs) * 1000,
    deliveredRatio: sent > 0 ? (end.received - start.received) / (sent * members) : 0,
    latencyMs: latencyOf(all),
    latencyMsByNode: latency.map(latencyOf),
    serverCpuMsPer1k: perK(serverCpu, delivered),
    serverCpuPercent: percent(serverCpu, windowMs),
    serverSystemShare: serverCpu > 0 ? (ub.serverSystemMs - ua.serverSystemMs) / serverCpu : null,
    serverCpuPercentByNode: ub.serverCpuMsByNode.map((v, i) => percent(v - ua.serverCpuMsByNode[i]!, windowMs)),
    redisCpuMsPer1k: perK(redisCpu, delivered),
    redisCpuPercent: percent(redisCpu, windowMs),
    loadgenCpuPercent: percent(ub.loadgenCpuMs.reduce((s, v, i) => s + v - ua.loadgenCpuMs[i]!, 0), windowMs),
    loadgenBusiestWorkerPercent: Math.max(...ub.loadgenCpuMs.map((v, i) => percent(v - ua.loadgenCpuMs[i]!, windowMs))),
    machineCpuPercent: (100 * (ub.machine.busy - ua.machine.busy)) / Math.max(1, ub.machine.total - ua.machine.total),
    serverRssMb: ub.serverRssKb / 1024,
    avgFrameBytes: sampledFrames > 0 ? (end.sampledBytes - start.sampledBytes) / sampledFrames : null,
    messagesPerFrame: frames > 0 ? delivered / frames : null,
    sendErrors: end.sendErrors - start.sendErrors,
    behind: end.behind - start.behind,
    gaps: end.gaps - start.gaps,
    reorders: end.reorders - start.reorders,
    dropped: end.dropped - start.dropped,
    closeCodes: Object.fromEntries(
      Object.entries(end.closeCodes).map(([c, n]) => [c, n - (start.closeCodes[c] ?? 0)]).filter(([, n]) => (n as number) > 0),
    ),
  };
}
