// `orbitctl check`'s Redis step against a real Sentinel group (3 sentinels, a master, 2 replicas).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSentinelGroup, waitFor, type SentinelGroup } from '@chatorbit/shared/testing';
import { sentinelResult } from './commands/check.ts';
import { askSentinel, RespConnection } from './resp.ts';

let group: SentinelGroup;
beforeAll(async () => {
  group = await startSentinelGroup({ replicas: 2, sentinels: 3, masterName: 'orbit' });
}, 60_000);
afterAll(() => group?.stop());

describe('Redis Sentinel check', () => {
  it('names the master, counts replicas and sentinels, sees the replicas in sync', async () => {
    const { host, port } = group.sentinels[0]!;
    const view = await askSentinel(host, port, 'orbit');
    expect(view.master).toEqual(await group.master());
    expect(view.replicas).toHaveLength(2);
    expect(view.replicas.every((r) => r.linkOk)).toBe(true);
    expect(view.quorum).toBe(2);
    const result = sentinelResult(view);
    expect(result.status).toBe('ok');
    expect(result.detail).toMatch(/^master 127\.0\.0\.1:\d+, 2 replicas, \d sentinels \(quorum 2\), replica offsets within \d+ bytes$/);
  });

  it('fails with a hint for a master name the sentinels do not know', async () => {
    const { host, port } = group.sentinels[0]!;
    const result = sentinelResult(await askSentinel(host, port, 'nope'));
    expect(result).toEqual({ status: 'fail', detail: 'the sentinels know no master by that name', hint: "check REDIS_MASTER_NAME against the sentinels' configuration" });
  });

  it('warns when a replica is down', async () => {
    const replica = group.nodes[2]!;
    await replica.kill();
    const { host, port } = group.sentinels[0]!;
    // The sentinels notice within down-after (1 s): ask until they do.
    const result = await waitFor(
      async () => {
        const r = sentinelResult(await askSentinel(host, port, 'orbit'));
        return r.status === 'ok' ? undefined : r;
      },
      { timeoutMs: 10_000, intervalMs: 100, message: 'the sentinels to see the replica down' },
    );
    expect(result.status).toBe('warn');
    expect(result.detail).toContain('out of sync');
  });

  it('parses nested replies and errors', async () => {
    const { host, port } = group.sentinels[0]!;
    const conn = await RespConnection.connect(host, port);
    try {
      expect(await conn.command('PING')).toBe('PONG');
      const err = await conn.command('NOSUCHCOMMAND');
      expect(err).toBeInstanceOf(Error);
    } finally {
      conn.close();
    }
  });
});
