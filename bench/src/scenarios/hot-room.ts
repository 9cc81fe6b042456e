import type { HotRoomStep } from '../results.ts';
import { measure, type Measurement } from './measure.ts';
import { scaled, type Scenario } from './scenario.ts';
import { roomNames } from './topology.ts';

const SUBSCRIBERS = 2000;
const FIRST_RATE = 50;
const MAX_STEPS = 10;
/** Enough chatters that no single socket's send path (handled in order) is the limit. */
const PUBLISHERS = 20;
const STEP_WARMUP_MS = 1000;
const STEP_MIN_MS = 1500;
const STEP_DRAIN_MS = 2000;
/** A load generator this busy may itself be what failed the step. */
const SATURATED_PERCENT = 90;

/** Why a step at this rate did not hold, or undefined if it did. */
function verdict(m: Measurement, rate: number, p99LimitMs: number): string | undefined {
  if (m.latencyMs.p99 === null) return 'no latency samples';
  if (m.latencyMs.p99 > p99LimitMs) return `p99 ${m.latencyMs.p99.toFixed(1)} ms > ${p99LimitMs} ms`;
  if (m.deliveredRatio < 0.99) return `only ${(m.deliveredRatio * 100).toFixed(1)} % delivered`;
  if (m.sentPerSec < rate * 0.95) return `publishers sent ${m.sentPerSec.toFixed(0)}/s of ${rate}/s`;
  if (m.sendErrors > 0) return `${m.sendErrors} sends refused`;
  if (m.dropped > 0) return `${m.dropped} sockets dropped`;
  return undefined;
}

/** Processes that used (nearly) a whole core in the step: the likely limit. */
function saturated(m: Measurement): string[] {
  const out = m.serverCpuPercentByNode.flatMap((p, i) => (p >= SATURATED_PERCENT ? [`server node ${i} at ${p.toFixed(0)} % CPU`] : []));
  if (m.loadgenBusiestWorkerPercent >= SATURATED_PERCENT) {
    out.push(`a load generator at ${m.loadgenBusiestWorkerPercent.toFixed(0)} % CPU (it may be the limit)`);
  }
  if (m.machineCpuPercent >= SATURATED_PERCENT) {
    out.push(`machine CPU at ${m.machineCpuPercent.toFixed(0)} %`);
    const servers = m.serverCpuPercent + m.redisCpuPercent;
    if (m.loadgenCpuPercent > servers) {
      out.push(`the load generators used more CPU than the servers and Redis (${m.loadgenCpuPercent.toFixed(0)} % vs ${servers.toFixed(0)} %): this machine, not the server, is the limit`);
    }
  }
  return out;
}

/** One room, the message rate doubled each step until p99 passes the limit. */
export const hotRoom: Scenario = {
  name: 'hot-room',
  setup(options) {
    const subscribers = scaled(SUBSCRIBERS, options.scale, 2);
    return {
      topology: { rooms: roomNames(1, 'hot'), subscribersPerRoom: subscribers, publishers: PUBLISHERS, samplers: options.samplers },
      params: { rooms: 1, subscribers, publishers: PUBLISHERS, firstRate: FIRST_RATE, p99LimitMs: options.p99LimitMs },
    };
  },
  async run(session) {
    const { options } = session;
    const steps: HotRoomStep[] = [];
    for (let i = 0, rate = FIRST_RATE; i < MAX_STEPS; i++, rate *= 2) {
      const measurement = await measure(session, {
        ratePerRoom: rate,
        warmupMs: Math.min(STEP_WARMUP_MS, options.durationMs / 4),
        windowMs: Math.max(STEP_MIN_MS, options.durationMs / 2),
        drainMs: STEP_DRAIN_MS,
      });
      const failed = verdict(measurement, rate, options.p99LimitMs);
      const why = failed && [failed, ...saturated(measurement)].join('; ');
      steps.push({ rate, held: why === undefined, ...(why ? { why } : {}), measurement });
      console.error(`  hot-room ${session.peer.name} ${rate}/s: p99 ${measurement.latencyMs.p99?.toFixed(1) ?? '-'} ms${why ? ` (${why})` : ''}`);
      if (why) break;
    }
    const best = steps.filter((s) => s.held).at(-1);
    return {
      steps,
      maxRateHeld: best?.rate ?? null,
      measurement: (best ?? steps[0]!).measurement,
    };
  },
};
