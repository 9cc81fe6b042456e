import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startRedis } from '@chatorbit/shared/testing';
import { LoadGenPool } from '../loadgen/pool.ts';
import type { ConnectResult } from '../loadgen/protocol.ts';
import type { BenchOptions } from '../options.ts';
import type { Peer, RunningPeer } from '../peers/peer.ts';
import { cpuMs, cpuSplitMs, machineTicks, rssKb } from '../proc.ts';
import { buildPlans, connectionCount, sourceAddressCount, type Topology } from './topology.ts';

/** Distinct users (tokens) the sockets cycle over: signing one per socket would dominate set-up. */
const USERS = 1000;

/**
 * Each run that binds source addresses gets fresh ones: the previous run's closed sockets sit in
 * TIME_WAIT on its ports, and bind() (unlike connect's own port choice) will not reuse them, so
 * the next run would crawl through the port range and connect slower for no fault of its peer.
 */
let nextSourceAddress = 2 + Math.floor(Math.random() * 200);
function takeSourceAddresses(count: number): number {
  if (nextSourceAddress + count > 254) nextSourceAddress = 2;
  const first = nextSourceAddress;
  nextSourceAddress += count;
  return first;
}

/** CPU and memory of the processes under test, read from /proc. */
export interface Usage {
  at: number;
  serverCpuMs: number;
  /** By server process, in node order (publishers are all on node 0). */
  serverCpuMsByNode: number[];
  /** The kernel-mode part of serverCpuMs (socket writes, loopback TCP). */
  serverSystemMs: number;
  redisCpuMs: number;
  /** By worker: 0 publishes, the others receive. */
  loadgenCpuMs: number[];
  serverRssKb: number;
  /** Whole machine, every process (ours, other users'): busy and total ticks. */
  machine: { busy: number; total: number };
}

/** One peer under load: a fresh Redis, the peer's server processes, the load generators. */
export interface Session {
  peer: Peer;
  running: RunningPeer;
  pool: LoadGenPool;
  topology: Topology;
  options: BenchOptions;
  usage(): Usage;
  close(): Promise<void>;
}

async function redisPid(url: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info('server');
    return Number(/process_id:(\d+)/.exec(info)?.[1]);
  } finally {
    client.disconnect();
  }
}

export function maxLifetimeMs(options: BenchOptions): number {
  return 10 * 60_000 + 12 * options.durationMs;
}

/** Starts Redis and the peer; the load generators connect with connect(). */
export async function openSession(peer: Peer, options: BenchOptions, topology: Topology, runId: string): Promise<Session> {
  const redis = await startRedis();
  let running: RunningPeer | undefined;
  let pool: LoadGenPool | undefined;
  const close = async () => {
    await pool?.stop();
    await running?.stop();
    await redis.stop();
  };
  try {
    const pid = await redisPid(redis.url);
    running = await peer.start({
      redisUrl: redis.url,
      nodes: options.nodes,
      maxLifetimeMs: maxLifetimeMs(options),
      chat: {
        main: options.chatMain,
        ...(options.mongoUrl ? { mongoUrl: options.mongoUrl } : {}),
        mongoDb: `bench_${runId}`,
        env: options.chatEnv,
      },
    });
    pool = new LoadGenPool(Math.max(1, options.workers), maxLifetimeMs(options));
    const { pids } = running;
    const lg = pool;
    return {
      peer,
      running,
      pool,
      topology,
      options,
      usage: () => {
        const servers = pids.map(cpuSplitMs);
        const byNode = servers.map((s) => s.user + s.system);
        return {
          at: Date.now(),
          serverCpuMs: byNode.reduce((a, b) => a + b, 0),
          serverCpuMsByNode: byNode,
          serverSystemMs: servers.reduce((a, s) => a + s.system, 0),
          redisCpuMs: cpuMs(pid),
          loadgenCpuMs: lg.cpuMs(),
          serverRssKb: pids.reduce((s, p) => s + rssKb(p), 0),
          machine: machineTicks(),
        };
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface Connected extends ConnectResult {
  seconds: number;
  before: Usage;
  after: Usage;
}

/** Opens every socket of the topology and joins its rooms; fails if any socket could not. */
export async function connect(session: Session, settleMs = 500): Promise<Connected> {
  const { options, topology, running } = session;
  const credentials = await running.credentials(Math.min(USERS, connectionCount(topology)));
  const plans = buildPlans(topology, {
    peer: session.peer.name,
    nodes: running.urls,
    credentials,
    workers: session.pool.size,
    textBytes: options.textBytes,
    firstSourceAddress: takeSourceAddresses(sourceAddressCount(topology)),
  });
  const before = session.usage();
  const started = Date.now();
  const result = await session.pool.connect(plans);
  const seconds = (Date.now() - started) / 1000;
  if (result.failed > 0) {
    throw new Error(`${result.failed} of ${result.failed + result.connected} sockets could not connect and join: ${result.firstError}`);
  }
  await sleep(settleMs);
  return { ...result, seconds, before, after: session.usage() };
}
