import { setTimeout as sleep } from 'node:timers/promises';
import { HARD_NOFILE } from '../proc.ts';
import { scaled, type Scenario } from './scenario.ts';
import { roomNames } from './topology.ts';

const ROOM_SIZE = 100;
/** Descriptors a process needs besides its sockets (Redis, listeners, stdio, libuv). */
const FD_RESERVE = 256;

/** Connections held open (each in one room of 100), no traffic: memory per connection. */
export const idle: Scenario = {
  name: 'idle',
  setup(options) {
    const wanted = scaled(options.idleConnections, options.scale, 1);
    const perProcess = HARD_NOFILE - FD_RESERVE;
    const counters = Math.max(1, options.workers - 1);
    const fit = Math.min(perProcess * options.nodes, perProcess * counters);
    const connections = Math.min(wanted, fit);
    const subscribersPerRoom = Math.min(ROOM_SIZE, connections);
    const rooms = Math.floor(connections / subscribersPerRoom);
    return {
      topology: { rooms: roomNames(rooms, 'idle'), subscribersPerRoom, publishers: 0, samplers: 0 },
      params: { connections: rooms * subscribersPerRoom, rooms, subscribersPerRoom },
      ...(wanted > fit ? { capped: `${wanted} wanted, ${fit} fit under the open-files limit (${HARD_NOFILE})` } : {}),
    };
  },
  async run(session, connected) {
    const conns = connected.connected;
    const { before, after } = connected;
    const hold = session.usage();
    await sleep(session.options.durationMs);
    const end = session.usage();
    return {
      idle: {
        rssBeforeMb: before.serverRssKb / 1024,
        rssAfterMb: end.serverRssKb / 1024,
        kbPerConnection: conns > 0 ? (end.serverRssKb - before.serverRssKb) / conns : 0,
        cpuMsPer1kConnections: conns > 0 ? ((after.serverCpuMs - before.serverCpuMs) / conns) * 1000 : 0,
        connectsPerSec: connected.seconds > 0 ? conns / connected.seconds : 0,
        idleCpuPercent: ((end.serverCpuMs - hold.serverCpuMs) / (end.at - hold.at)) * 100,
      },
    };
  },
};
