// A throwaway Redis Sentinel group for tests: one master, N replicas, M sentinels, all on free
// loopback ports, each process in a temp dir of its own.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis } from './servers.ts';
import { findOnPath, redisPing, startWithRetry, type SpawnedServer } from './spawn.ts';
import { waitFor } from './wait-for.ts';

export interface SentinelGroupOptions {
  /** Replicas of the master (default 1). A failover needs at least one. */
  replicas?: number;
  /** Sentinel processes (default 3); the quorum is a majority of them. */
  sentinels?: number;
  masterName?: string;
  /** `sentinel down-after-milliseconds`: how long the master must be unreachable to be thought down. */
  downAfterMs?: number;
  /** `sentinel failover-timeout`; a failed election is retried after twice this. */
  failoverTimeoutMs?: number;
  /** requirepass/masterauth of the master and replicas (REDIS_PASSWORD). */
  password?: string;
  /** requirepass of the sentinels (REDIS_SENTINEL_PASSWORD). */
  sentinelPassword?: string;
}

export interface HostPort {
  host: string;
  port: number;
}

export interface SentinelGroup {
  masterName: string;
  sentinels: HostPort[];
  /** The sentinels as REDIS_SENTINELS wants them: "127.0.0.1:p1,127.0.0.1:p2,...". */
  sentinelsEnv: string;
  /** Every redis-server of the group, master first as started; failovers do not reorder it. */
  nodes: readonly SpawnedServer[];
  /** The master according to the first sentinel that answers. */
  master(): Promise<HostPort>;
  /** SIGKILLs the current master (no shutdown, no last writes: a crash) and waits until it is gone. */
  killMaster(): Promise<{ killedPort: number }>;
  /**
   * SIGSTOPs the current master: its connections stay open but nothing answers, as with a hung
   * host or a network partition. resume() (SIGCONT) brings it back; stop() resumes it too.
   */
  freezeMaster(): Promise<{ frozenPort: number; resume(): void }>;
  /**
   * Waits until every running sentinel names a master other than oldPort and that node says it is one.
   * `seconds` counts from killMaster() / freezeMaster() of oldPort if it went that way, else from this call.
   */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<{ newMaster: HostPort; seconds: number }>;
  /** Stops the sentinels, then the data nodes; idempotent. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Starts the group and resolves once it can fail over: the replicas are in sync with the master,
 * and every sentinel names the master, sees every replica and knows every other sentinel.
 */
export async function startSentinelGroup(opts: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const {
    replicas = 1,
    sentinels: sentinelCount = 3,
    masterName = 'mymaster',
    downAfterMs = 1000,
    failoverTimeoutMs = 3000,
    password,
    sentinelPassword,
  } = opts;
  const sentinelBin = findOnPath('redis-sentinel') ? 'redis-sentinel' : undefined;
  if (!sentinelBin && !findOnPath('redis-server')) {
    throw new Error('redis-sentinel / redis-server not found on PATH: apt-get install redis-server redis-sentinel');
  }

  const nodes: SpawnedServer[] = [];
  const sentinelServers: SpawnedServer[] = [];
  const killedAt = new Map<number, number>();
  const frozen = new Set<SpawnedServer>();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const node of frozen) node.signal('SIGCONT'); // a stopped process would not act on SIGTERM
    // Sentinels first, so that they do not start failovers while the data nodes go away.
    await Promise.all(sentinelServers.map((s) => s.stop()));
    await Promise.all(nodes.map((n) => n.stop()));
  };

  try {
    const auth = password ? ['--requirepass', password, '--masterauth', password] : [];
    // A master waits 5 s (the default delay) for more replicas before a diskless full sync; here,
    // and after a failover, every replica is attached at once.
    const common = ['--repl-diskless-sync-delay', '0', ...auth];
    const master = await startRedis({ args: common });
    nodes.push(master);
    // Each started process is recorded at once, so that stop() after a failed start stops it too.
    await Promise.all(
      Array.from({ length: replicas }, async () =>
        nodes.push(await startRedis({ args: ['--replicaof', HOST, String(master.port), ...common] })),
      ),
    );
    // Sentinels learn the replicas from the master's INFO, which they read as soon as they connect:
    // starting them after the replicas are attached spares a 10 s INFO period.
    await waitFor(() => replicationInSync(master.port, nodes.slice(1).map((n) => n.port), password), {
      timeoutMs: 15_000,
      intervalMs: 50,
      message: `${replicas} replica(s) to sync with the master on port ${master.port}`,
    });

    const quorum = Math.floor(sentinelCount / 2) + 1;
    await Promise.all(
      Array.from({ length: sentinelCount }, async () =>
        sentinelServers.push(
          await startWithRetry('redis-sentinel', (port, dir) => {
            const file = join(dir, 'sentinel.conf');
            // Sentinel rewrites this file as it learns the topology, hence a writable dir per process.
            writeFileSync(
              file,
              [
                `port ${port}`,
                `bind ${HOST}`,
                'daemonize no',
                `dir ${dir}`,
                'sentinel resolve-hostnames no',
                `sentinel announce-ip ${HOST}`,
                `sentinel monitor ${masterName} ${HOST} ${master.port} ${quorum}`,
                `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
                `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
                `sentinel parallel-syncs ${masterName} 1`,
                ...(password ? [`sentinel auth-pass ${masterName} ${password}`] : []),
                // Clients must AUTH with it, and a sentinel AUTHs with it to the other sentinels.
                ...(sentinelPassword ? [`requirepass ${sentinelPassword}`] : []),
                '',
              ].join('\n'),
            );
            return {
              bin: sentinelBin ?? 'redis-server',
              args: sentinelBin ? [file] : [file, '--sentinel'],
              url: `redis://${HOST}:${port}`,
              ready: () => redisPing(port),
              timeoutMs: 15_000,
            };
          }),
        ),
      ),
    );
    const sentinelAddrs = sentinelServers.map((s) => ({ host: HOST, port: s.port }));

    const askSentinel = (port: number) =>
      withClient(port, sentinelPassword, async (client) => {
        const reply = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string] | null;
        return reply ? { host: reply[0], port: Number(reply[1]) } : undefined;
      });

    await waitFor(
      async () => {
        for (const s of sentinelServers) {
          if (!(await sentinelReady(s.port, sentinelPassword, masterName, master.port, replicas, sentinelCount - 1))) return false;
        }
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 100, message: `the ${sentinelCount} sentinels to agree on master ${master.port}, its replicas and each other` },
    );

    const currentMaster = async (): Promise<HostPort> => {
      let lastError: unknown;
      for (const s of sentinelServers) {
        if (s.exited()) continue;
        try {
          const addr = await askSentinel(s.port);
          if (addr) return addr;
        } catch (err) {
          lastError = err;
        }
      }
      throw new Error('no sentinel named a master', { cause: lastError });
    };

    const masterNode = async (): Promise<SpawnedServer> => {
      const { port } = await currentMaster();
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`the sentinels name ${port} as master, not a node of this group`);
      return node;
    };

    return {
      masterName,
      sentinels: sentinelAddrs,
      sentinelsEnv: sentinelAddrs.map((a) => `${a.host}:${a.port}`).join(','),
      nodes,
      master: currentMaster,
      killMaster: async () => {
        const node = await masterNode();
        killedAt.set(node.port, performance.now());
        await node.kill('SIGKILL');
        return { killedPort: node.port };
      },
      freezeMaster: async () => {
        const node = await masterNode();
        killedAt.set(node.port, performance.now());
        frozen.add(node);
        node.signal('SIGSTOP');
        return {
          frozenPort: node.port,
          resume: () => {
            frozen.delete(node);
            node.signal('SIGCONT');
          },
        };
      },
      waitForFailover: async (oldPort, timeoutMs = 20_000) => {
        const from = killedAt.get(oldPort) ?? performance.now();
        const newMaster = await waitFor(
          async () => {
            const live = sentinelServers.filter((s) => !s.exited());
            const named = await Promise.all(live.map((s) => askSentinel(s.port)));
            const port = named[0]?.port;
            if (port === undefined || port === oldPort || named.some((a) => a?.port !== port)) return undefined;
            const role = await withClient(port, password, (client) => client.call('ROLE'));
            return (role as unknown[])[0] === 'master' ? { host: named[0]!.host, port } : undefined;
          },
          { timeoutMs, intervalMs: 50, message: `the sentinels to promote a new master in place of ${oldPort}` },
        );
        return { newMaster, seconds: (performance.now() - from) / 1000 };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A short-lived admin connection (no retries, no offline queue) for one query. */
async function withClient<T>(port: number, password: string | undefined, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: HOST,
    port,
    password,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    retryStrategy: null,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: 2000,
  });
  client.on('error', () => {}); // reported through the rejected command instead
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** `INFO replication` as key → value. */
async function replicationInfo(port: number, password: string | undefined): Promise<Map<string, string>> {
  const text = await withClient(port, password, (client) => client.info('replication'));
  return new Map(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)] as [string, string]),
  );
}

/** True when the master lists every replica as online and every replica's link to it is up. */
async function replicationInSync(masterPort: number, replicaPorts: number[], password: string | undefined): Promise<boolean> {
  const master = await replicationInfo(masterPort, password);
  if (master.get('role') !== 'master') return false;
  const online = new Set<number>();
  for (const [key, value] of master) {
    const port = /^slave\d+$/.test(key) ? /port=(\d+),state=online/.exec(value)?.[1] : undefined;
    if (port) online.add(Number(port));
  }
  if (!replicaPorts.every((p) => online.has(p))) return false;
  for (const port of replicaPorts) {
    const replica = await replicationInfo(port, password);
    if (replica.get('master_link_status') !== 'up') return false;
  }
  return true;
}

/** One sentinel names the expected master and sees its replicas (healthy) and the other sentinels. */
async function sentinelReady(
  port: number,
  sentinelPassword: string | undefined,
  masterName: string,
  masterPort: number,
  replicas: number,
  otherSentinels: number,
): Promise<boolean> {
  return withClient(port, sentinelPassword, async (client) => {
    const master = fields((await client.call('SENTINEL', 'MASTER', masterName)) as unknown[]);
    if (master.get('flags') !== 'master' || Number(master.get('port')) !== masterPort) return false;
    if (Number(master.get('num-other-sentinels')) < otherSentinels) return false;
    const seen = ((await client.call('SENTINEL', 'REPLICAS', masterName)) as unknown[][]).map(fields);
    return seen.filter((r) => r.get('flags') === 'slave' && r.get('master-link-status') === 'ok').length >= replicas;
  });
}

/** A Sentinel reply `[k1, v1, k2, v2, ...]` (RESP2, or RESP3 maps flattened by ioredis) as a Map. */
function fields(reply: unknown[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), String(reply[i + 1]));
  return map;
}
