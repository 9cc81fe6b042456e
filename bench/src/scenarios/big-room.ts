import { measure } from './measure.ts';
import { DRAIN_MS, scaled, warmupMs, type Scenario } from './scenario.ts';
import { roomNames } from './topology.ts';

const SUBSCRIBERS = 5000;
const RATE = 20;
/** A few chatters rather than one: the room's rate is split over them. */
const PUBLISHERS = 4;

/** One room, many viewers, a steady chat: fan-out cost per delivery. */
export const bigRoom: Scenario = {
  name: 'big-room',
  setup(options) {
    const subscribers = scaled(SUBSCRIBERS, options.scale, 2);
    return {
      topology: { rooms: roomNames(1, 'big'), subscribersPerRoom: subscribers, publishers: PUBLISHERS, samplers: options.samplers },
      params: { rooms: 1, subscribers, publishers: PUBLISHERS, ratePerRoom: RATE },
    };
  },
  async run(session) {
    const { options } = session;
    const measurement = await measure(session, {
      ratePerRoom: RATE,
      warmupMs: warmupMs(options),
      windowMs: options.durationMs,
      drainMs: DRAIN_MS,
    });
    return { measurement };
  },
};
