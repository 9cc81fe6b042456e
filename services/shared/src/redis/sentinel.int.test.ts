// Clients in Sentinel mode against real groups (1 master, 1 replica, 3 sentinels each), through a
// master crash and a master hang; and waitForReplicas against a master and a replica.
import { setTimeout as pause } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, storageConfig } from '../config.ts';
import { createRedis } from '../clients.ts';
import { startRedis } from '../testing/servers.ts';
import { startSentinelGroup, type SentinelGroup } from '../testing/sentinel.ts';
import { waitFor } from '../testing/wait-for.ts';
import { createRedisFromConfig, type RedisConfig } from './connection.ts';
import { waitForReplicas } from './replicas.ts';

const PREFIX = `test:shared:sentinel:${process.pid}:`;
const schema = Type.Object(storageConfig);
const clients: Redis[] = [];

afterAll(() => {
  for (const c of clients) c.disconnect();
});

/** A client as a service creates it, from its environment; errors while reconnecting are expected. */
function client(config: RedisConfig, name: string): Redis {
  const redis = createRedisFromConfig(config, `${PREFIX}${name}`)!;
  redis.on('error', () => {});
  clients.push(redis);
  return redis;
}

function configFor(group: SentinelGroup, env: Record<string, string> = {}): RedisConfig {
  return loadConfig(schema, { REDIS_SENTINELS: group.sentinelsEnv, REDIS_MASTER_NAME: group.masterName, ...env });
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

describe('createRedisFromConfig in Sentinel mode, with passwords', () => {
  const PASSWORD = 'data-secret';
  const SENTINEL_PASSWORD = 'sentinel-secret';
  let group: SentinelGroup;
  let config: RedisConfig;

  beforeAll(async () => {
    group = await startSentinelGroup({ masterName: 'orbit-test', password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
    config = configFor(group, { REDIS_PASSWORD: PASSWORD, REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD });
  });
  afterAll(() => group?.stop());

  it('connects to the master the sentinels name, and writes and reads', async () => {
    const redis = client(config, 'rw');
    await redis.set(`${PREFIX}k`, 'v');
    expect(await redis.get(`${PREFIX}k`)).toBe('v');
    expect(Number(infoField(await redis.info('server'), 'tcp_port'))).toBe((await group.master()).port);
    expect(infoField(await redis.info('replication'), 'role')).toBe('master');
  });

  it('keeps the same client objects working through a master crash: commands and subscriptions', async () => {
    const { writer, sub, pub, channel, received } = await clientsFor(config, 'crash');
    const load = startLoad(writer, `${PREFIX}crash:counter`);
    await waitFor(() => load.values.length >= 50, { timeoutMs: 5000, message: 'the INCR loop to get going' });
    await pub.publish(channel, 'before');
    await waitFor(() => received.includes('before'), { message: 'the message published before the failover' });

    const faultAt = performance.now();
    const { killedPort } = await group.killMaster();
    const failover = await group.waitForFailover(killedPort, 15_000);
    const stats = await load.finishAfter(faultAt, 'crash (SIGKILL)', failover);

    expect(failover.newMaster.port).not.toBe(killedPort);
    expect(stats.outageSeconds).toBeLessThan(15);
    // The writer is on the new master now, by itself.
    expect(Number(infoField(await writer.info('server'), 'tcp_port'))).toBe(failover.newMaster.port);
    await expectResubscribed(sub, pub, channel, received, 'crash');
  });
});

describe('createRedisFromConfig in Sentinel mode, master hung', () => {
  let group: SentinelGroup;
  beforeAll(async () => {
    group = await startSentinelGroup();
  });
  afterAll(() => group?.stop());

  it('leaves a hung master by itself once the sentinels announce the failover', async () => {
    // SIGSTOP: the master's sockets stay open and silent, so nothing breaks the clients' connections
    // (no RST, keepalives answered by the kernel). Only the sentinels' +switch-master
    // (failoverDetector) moves them.
    const { writer, sub, pub, channel, received } = await clientsFor(configFor(group), 'hang');
    const load = startLoad(writer, `${PREFIX}hang:counter`);
    await waitFor(() => load.values.length >= 50, { timeoutMs: 5000, message: 'the INCR loop to get going' });

    const faultAt = performance.now();
    const frozen = await group.freezeMaster();
    const failover = await group.waitForFailover(frozen.frozenPort, 15_000);
    const stats = await load.finishAfter(faultAt, 'hang (SIGSTOP)', failover);
    expect(stats.outageSeconds).toBeLessThan(15);
    expect(Number(infoField(await writer.info('server'), 'tcp_port'))).toBe(failover.newMaster.port);
    await expectResubscribed(sub, pub, channel, received, 'hang');
    // stop() thaws it before stopping it.
  });
});

describe('waitForReplicas', () => {
  it('resolves with how many replicas acknowledged the writes before it', async () => {
    const master = await startRedis({ args: ['--repl-diskless-sync-delay', '0'] }); // sync at once, not after 5 s
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    const redis = createRedis(master.url, `${PREFIX}acks`);
    redis.on('error', () => {});
    try {
      await waitFor(async () => /^slave0:.*state=online/m.test(await redis.info('replication')), {
        timeoutMs: 10_000,
        intervalMs: 50,
        message: 'the replica to be online',
      });
      await redis.set(`${PREFIX}acked`, '1');
      expect(await waitForReplicas(redis, 1, 2000)).toBe(1);
      expect(await waitForReplicas(redis, 0, 2000)).toBe(0); // no round trip

      await replica.stop();
      await redis.set(`${PREFIX}acked`, '2');
      const started = performance.now();
      expect(await waitForReplicas(redis, 1, 200)).toBe(0);
      expect(performance.now() - started).toBeLessThan(2000);
      await expect(waitForReplicas(redis, 1, 0)).rejects.toThrow(RangeError); // WAIT 0 would block forever
    } finally {
      redis.disconnect();
      await replica.stop();
      await master.stop();
    }
  });
});

/** A writer, a subscriber on `channel` (collecting into `received`) and a publisher. */
async function clientsFor(config: RedisConfig, name: string) {
  const writer = client(config, `${name}-writer`);
  const sub = client(config, `${name}-sub`);
  const pub = client(config, `${name}-pub`);
  const channel = `${PREFIX}${name}:bus`;
  const received: string[] = [];
  sub.on('message', (ch: string, message: string) => {
    if (ch === channel) received.push(message);
  });
  await sub.subscribe(channel);
  return { writer, sub, pub, channel, received };
}

/**
 * INCRs `key` in a loop, for at most 20 s, recording every outcome. The outage is the longest time
 * between two successful replies: failed and pending commands both fall into it.
 */
function startLoad(writer: Redis, key: string) {
  let stop = false;
  let lastOkAt = performance.now();
  let maxGapMs = 0;
  let recoveredAt = 0; // end of the longest gap
  let failed = 0;
  const errors = new Set<string>();
  const values: Array<{ at: number; value: number }> = [];
  const done = (async () => {
    const deadline = performance.now() + 20_000;
    while (!stop && performance.now() < deadline) {
      try {
        const value = await writer.incr(key);
        const now = performance.now();
        if (now - lastOkAt > maxGapMs) {
          maxGapMs = now - lastOkAt;
          recoveredAt = now;
        }
        lastOkAt = now;
        values.push({ at: now, value });
      } catch (err) {
        failed++;
        errors.add((err as Error).message.replace(/\d+/g, 'N'));
      }
      await pause(2); // pacing of the load (a few hundred commands/s), not a wait for a condition
    }
  })();
  return {
    values,
    /** Waits for 50 successes after `since` (the fault), stops the loop, prints and returns the numbers. */
    finishAfter: async (since: number, what: string, failover: { newMaster: { port: number }; seconds: number }) => {
      const before = values.filter((v) => v.at < since);
      await waitFor(() => values.length >= before.length + 50, {
        timeoutMs: 10_000,
        message: 'the same client object to succeed again after the failover',
      });
      stop = true;
      await done;
      const after = values.filter((v) => v.at >= since);
      const outageSeconds = maxGapMs / 1000;
      const lastBefore = before.at(-1)!.value;
      console.log(
        `${what}: sentinels agreed on ${failover.newMaster.port} ${failover.seconds.toFixed(2)} s after the fault; ` +
          `writer outage (longest gap between successful INCRs) ${outageSeconds.toFixed(2)} s, ` +
          `working again ${((recoveredAt - since) / 1000).toFixed(2)} s after the fault; ` +
          `${values.length} ok, ${failed} failed (${[...errors].join(' | ') || 'none'}); ` +
          `counter ${lastBefore} before, ${after[0]!.value} first after (${Math.max(0, lastBefore + 1 - after[0]!.value)} acknowledged INCRs lost)`,
      );
      const afterValues = after.map((v) => v.value);
      expect(afterValues).toEqual([...afterValues].sort((a, b) => a - b)); // one counter again, increasing
      return { outageSeconds };
    },
  };
}

/** Messages published after the failover reach `sub`, which is subscribed on the new master. */
async function expectResubscribed(sub: Redis, pub: Redis, channel: string, received: string[], name: string) {
  let n = 0;
  await waitFor(
    async () => {
      await pub.publish(channel, `after-${n++}`);
      return received.some((m) => m.startsWith('after-'));
    },
    { timeoutMs: 10_000, intervalMs: 100, message: 'a message published after the failover to reach the subscriber' },
  );
  const clientList = (await pub.client('LIST')) as string;
  const line = clientList.split('\n').find((l) => l.includes(`name=${PREFIX}${name}-sub `));
  expect(line, `no connection named ${PREFIX}${name}-sub on the new master:\n${clientList}`).toMatch(/ sub=1 /);
  expect(sub.status).toBe('ready');
}
