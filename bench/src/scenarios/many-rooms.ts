import { measure } from './measure.ts';
import { DRAIN_MS, scaled, warmupMs, type Scenario } from './scenario.ts';
import { roomNames } from './topology.ts';

const ROOMS = 1000;
const SUBSCRIBERS_PER_ROOM = 20;
const RATE_PER_ROOM = 1;
const MAX_PUBLISHERS = 50;

/** The largest divisor of n that is at most max: publishers must split the rooms evenly. */
function divisorAtMost(n: number, max: number): number {
  for (let d = Math.min(n, max); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/** Many small rooms: per-room overhead (subscriptions, bus traffic to nodes without members). */
export const manyRooms: Scenario = {
  name: 'many-rooms',
  setup(options) {
    const rooms = scaled(ROOMS, options.scale, 1);
    const publishers = divisorAtMost(rooms, MAX_PUBLISHERS);
    return {
      topology: { rooms: roomNames(rooms, 'many'), subscribersPerRoom: SUBSCRIBERS_PER_ROOM, publishers, samplers: options.samplers },
      params: { rooms, subscribersPerRoom: SUBSCRIBERS_PER_ROOM, subscribers: rooms * SUBSCRIBERS_PER_ROOM, publishers, ratePerRoom: RATE_PER_ROOM },
    };
  },
  async run(session) {
    const { options } = session;
    const measurement = await measure(session, {
      ratePerRoom: RATE_PER_ROOM,
      warmupMs: warmupMs(options),
      windowMs: options.durationMs,
      drainMs: DRAIN_MS,
    });
    return { measurement };
  },
};
