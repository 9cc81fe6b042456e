// Chat nodes as real processes for the fault scenarios: each on a fixed loopback port (kept
// across restarts, as behind a Service), sharing Redis (plain or Sentinel) and MongoDB, with
// tokens from a stand-in auth service. Measured from the outside: RSS and CPU from /proc, the
// V8 heap from /metrics.
import { fileURLToPath } from 'node:url';
import type { Db } from 'mongodb';
import {
  freePort,
  processCpuMs,
  processRssKb,
  sampleValue,
  scrapeMetrics,
  spawnService,
  startTokenIssuer,
  WATCHDOG_NODE_OPTIONS,
  type ServiceProcess,
  type TokenIssuer,
} from '@chatorbit/shared/testing';
import type { Ack } from './loadgen/protocol.ts';
import { INSPECT_FLAG, Inspector, type MemoryAfterGc } from './inspector.ts';

const CHAT_MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

export type RedisTarget = { url: string } | { sentinels: string; masterName: string };

export interface ClusterOptions {
  nodes: number;
  redis: RedisTarget;
  mongo?: { url: string; db: string };
  /** REDIS_PREFIX: every run its own keys. */
  prefix: string;
  /** More chat settings (they win over the defaults below). */
  env?: Record<string, string>;
  /** Start the nodes with the V8 inspector on loopback, for memoryAfterGc(). */
  inspect?: boolean;
}

export interface NodeSample {
  rssKb: number;
  heapUsedBytes: number;
  cpuMs: number;
}

export class ChatNodes {
  readonly issuer: TokenIssuer;
  private readonly opts: ClusterOptions;
  private readonly ports: number[];
  private readonly procs: Array<ServiceProcess | undefined>;
  private readonly generations: number[];
  private readonly inspectors = new Map<number, Promise<Inspector>>();

  private constructor(opts: ClusterOptions, issuer: TokenIssuer, ports: number[]) {
    this.opts = opts;
    this.issuer = issuer;
    this.ports = ports;
    this.procs = ports.map(() => undefined);
    this.generations = ports.map(() => 0);
  }

  static async start(opts: ClusterOptions): Promise<ChatNodes> {
    const issuer = await startTokenIssuer();
    const ports: number[] = [];
    for (let i = 0; i < opts.nodes; i++) ports.push(await freePort());
    const nodes = new ChatNodes(opts, issuer, ports);
    try {
      await Promise.all(ports.map((_, i) => nodes.startNode(i)));
    } catch (err) {
      await nodes.stop();
      throw err;
    }
    return nodes;
  }

  get wsUrls() {
    return this.ports.map((p) => `ws://127.0.0.1:${p}/ws`);
  }

  url(i: number) {
    return `http://127.0.0.1:${this.ports[i]}`;
  }

  pid(i: number) {
    return this.procs[i]?.process.pid;
  }

  /** Starts node i (again) on its port; a restarted node gets a new NODE_ID, as a new pod would. */
  async startNode(i: number) {
    const { redis, mongo, prefix, env } = this.opts;
    const generation = this.generations[i]!++;
    this.procs[i] = await spawnService(
      CHAT_MAIN,
      {
        NODE_OPTIONS: this.opts.inspect ? `${WATCHDOG_NODE_OPTIONS} ${INSPECT_FLAG}` : WATCHDOG_NODE_OPTIONS,
        PORT: String(this.ports[i]),
        NODE_ID: `faults-${i}-${generation}`,
        AUTH_JWKS_URL: this.issuer.jwksUrl,
        REDIS_PREFIX: prefix,
        ...('url' in redis ? { REDIS_URL: redis.url } : { REDIS_SENTINELS: redis.sentinels, REDIS_MASTER_NAME: redis.masterName }),
        ...(mongo ? { MONGO_URL: mongo.url, MONGO_DB: mongo.db } : {}),
        // Load generators send far faster than a person may.
        RATE_LIMIT_MESSAGES: '0',
        MAX_FRAMES_PER_SEC: '100000',
        ...env,
      },
      30_000,
    );
  }

  /** Sends the signal to node i and resolves with its exit code (or the signal's name). */
  async signal(i: number, signal: NodeJS.Signals): Promise<number | string> {
    const proc = this.procs[i];
    if (!proc) throw new Error(`chat node ${i} is not running`);
    this.closeInspector(i);
    const code = await proc.stop(signal);
    this.procs[i] = undefined;
    return code;
  }

  /** What node i wrote to stdout/stderr (its warnings and errors: LOG_LEVEL=warn). */
  output(i: number) {
    return this.procs[i]?.output() ?? '';
  }

  async sample(i: number): Promise<NodeSample | undefined> {
    const pid = this.pid(i);
    if (pid === undefined) return undefined;
    const { samples } = await scrapeMetrics(this.url(i));
    return { rssKb: processRssKb(pid), heapUsedBytes: sampleValue(samples, 'chatorbit_nodejs_heap_size_used_bytes'), cpuMs: processCpuMs(pid) };
  }

  /** Node i's memory right after a full garbage collection (needs `inspect`). */
  async memoryAfterGc(i: number): Promise<MemoryAfterGc> {
    let inspector = this.inspectors.get(i);
    if (!inspector) {
      inspector = Inspector.attach(this.output(i));
      inspector.catch(() => this.inspectors.delete(i));
      this.inspectors.set(i, inspector);
    }
    return (await inspector).memoryAfterGc();
  }

  private closeInspector(i: number) {
    void this.inspectors.get(i)?.then((inspector) => inspector.close(), () => {});
    this.inspectors.delete(i);
  }

  token(n: number, name = `u${n}`) {
    return this.issuer.sign(n.toString(16).padStart(24, '0'), name);
  }

  async stop() {
    for (const i of [...this.inspectors.keys()]) this.closeInspector(i);
    await Promise.all(this.procs.map((p) => p?.stop('SIGTERM')));
    this.procs.fill(undefined);
    await this.issuer.stop();
  }
}

export interface StoredCheck {
  /** Documents in MongoDB for the rooms. */
  stored: number;
  /** Acknowledged messages whose id is not in MongoDB. */
  lost: number;
  /** Nonces stored under more than one id (a send stored twice). */
  storedTwice: number;
  /** (room, seq) pairs held by more than one message (a seq handed out again). */
  seqCollisions: number;
}

/** Compares what the publishers were acknowledged with what MongoDB holds. */
export async function checkStored(db: Db, acks: readonly Ack[]): Promise<StoredCheck> {
  const rooms = [...new Set(acks.map((a) => a[2]))];
  const docs = await db
    .collection<{ _id: string; room: string; seq: number; text: string }>('messages')
    .find({ room: { $in: rooms } }, { projection: { _id: 1, room: 1, seq: 1, text: 1 } })
    .toArray();
  const ids = new Set(docs.map((d) => d._id));
  const byNonce = new Map<string, number>();
  const bySeq = new Map<string, number>();
  for (const d of docs) {
    const nonce = d.text.split(' ', 1)[0]!;
    byNonce.set(nonce, (byNonce.get(nonce) ?? 0) + 1);
    const key = `${d.room}/${d.seq}`;
    bySeq.set(key, (bySeq.get(key) ?? 0) + 1);
  }
  return {
    stored: docs.length,
    lost: acks.filter((a) => !ids.has(a[1])).length,
    storedTwice: [...byNonce.values()].filter((n) => n > 1).length,
    seqCollisions: [...bySeq.values()].filter((n) => n > 1).length,
  };
}

/** The longest time between two consecutive acknowledgements that ended after `from` (ms). */
export function longestAckGap(acks: readonly Ack[], from: number): number {
  const times = acks.map((a) => a[4]).sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < times.length; i++) if (times[i]! >= from) longest = Math.max(longest, times[i]! - times[i - 1]!);
  return longest;
}
