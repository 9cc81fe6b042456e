import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, storageConfig } from '../config.ts';
import { createRedisFromConfig, parseSentinels, reconnectDelay, redisConnectionOptions } from './connection.ts';

const schema = Type.Object(storageConfig);
const config = (env: Record<string, string>) => loadConfig(schema, env);

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  return expect.unreachable('no ConfigError thrown');
}

describe('Redis settings', () => {
  it('defaults: no Redis, master name mymaster, no replica acks', () => {
    const c = config({});
    expect(c).toMatchObject({ REDIS_MASTER_NAME: 'mymaster', REDIS_REPLICA_ACKS: 0 });
    expect(c.REDIS_SENTINELS).toBeUndefined();
    expect(redisConnectionOptions(c)).toBeUndefined();
    expect(createRedisFromConfig(c, 'test')).toBeUndefined();
  });

  it.each([
    ['10.0.0.1:26379'],
    ['a.example.com:26379,b.example.com:26380'],
    [' s-0.sentinel:26379 , s-1.sentinel:26379 '],
    ['[::1]:26379,127.0.0.1:26380'],
  ])('accepts REDIS_SENTINELS=%j', (list) => {
    expect(config({ REDIS_SENTINELS: list }).REDIS_SENTINELS).toBe(list);
  });

  it.each([['localhost'], ['host:'], [':26379'], ['a:1,'], ['a:1;b:2'], ['redis://a:1'], ['a:123456']])(
    'rejects REDIS_SENTINELS=%j naming the variable',
    (list) => {
      const err = configError(() => config({ REDIS_SENTINELS: list }));
      expect(err.variable).toBe('REDIS_SENTINELS');
    },
  );

  it.each([
    [{ REDIS_REPLICA_ACKS: '6' }, 'REDIS_REPLICA_ACKS'],
    [{ REDIS_REPLICA_ACKS: '-1' }, 'REDIS_REPLICA_ACKS'],
    [{ REDIS_REPLICA_ACKS: 'one' }, 'REDIS_REPLICA_ACKS'],
    [{ REDIS_MASTER_NAME: 'my master' }, 'REDIS_MASTER_NAME'],
  ])('rejects %j', (env, variable) => {
    expect(configError(() => config(env)).variable).toBe(variable);
  });

  it('reads REDIS_REPLICA_ACKS as an integer', () => {
    expect(config({ REDIS_REPLICA_ACKS: '2' }).REDIS_REPLICA_ACKS).toBe(2);
  });
});

describe('parseSentinels', () => {
  it('splits host:port pairs, trimming spaces, with IPv6 in brackets', () => {
    expect(parseSentinels(' s-0.sentinel:26379 , 10.0.0.2:26380,[fd00::1]:26381')).toEqual([
      { host: 's-0.sentinel', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: 'fd00::1', port: 26381 },
    ]);
  });

  it.each([['a'], ['a:0'], ['a:70000'], ['a:1,,b:2']])('throws a ConfigError naming REDIS_SENTINELS for %j', (list) => {
    expect(configError(() => parseSentinels(list)).variable).toBe('REDIS_SENTINELS');
  });
});

describe('redisConnectionOptions', () => {
  it('both REDIS_URL and REDIS_SENTINELS: a ConfigError naming REDIS_SENTINELS', () => {
    const c = config({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINELS: '127.0.0.1:26379' });
    const err = configError(() => redisConnectionOptions(c));
    expect(err.variable).toBe('REDIS_SENTINELS');
    expect(err.message).toMatch(/REDIS_SENTINELS and REDIS_URL are both set/);
    expect(configError(() => createRedisFromConfig(c, 'x')).variable).toBe('REDIS_SENTINELS');
  });

  it.each([['REDIS_PASSWORD'], ['REDIS_SENTINEL_PASSWORD']])('%s with REDIS_URL: a ConfigError (it would be ignored)', (variable) => {
    const c = config({ REDIS_URL: 'redis://127.0.0.1:6379', [variable]: 'secret' });
    const err = configError(() => redisConnectionOptions(c));
    expect(err.variable).toBe(variable);
    expect(err.message).not.toMatch(/secret/);
  });

  it('URL mode: the URL and the shared options', () => {
    const conn = redisConnectionOptions(config({ REDIS_URL: 'redis://:pw@127.0.0.1:6380/2' }), 'chat-n1-pub');
    expect(conn).toMatchObject({
      mode: 'url',
      url: 'redis://:pw@127.0.0.1:6380/2',
      options: { connectionName: 'chat-n1-pub', enableAutoPipelining: true, maxRetriesPerRequest: 2 },
    });
    expect(conn!.options).not.toHaveProperty('sentinels');
  });

  it('Sentinel mode: sentinels, master name, role, passwords, failover detection', () => {
    const conn = redisConnectionOptions(
      config({
        REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2:26379',
        REDIS_MASTER_NAME: 'orbit',
        REDIS_PASSWORD: 'data-pw',
        REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      }),
      'chat-n1-sub',
      { maxRetriesPerRequest: null },
    );
    expect(conn).toEqual({
      mode: 'sentinel',
      options: expect.objectContaining({
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26379 },
        ],
        name: 'orbit',
        role: 'master',
        password: 'data-pw',
        sentinelPassword: 'sentinel-pw',
        failoverDetector: true,
        connectionName: 'chat-n1-sub',
        enableAutoPipelining: true,
        maxRetriesPerRequest: null, // the override wins
      }),
    });
  });

  it('reconnects on READONLY: resending the write in Sentinel mode, rejecting it in URL mode', () => {
    const sentinel = redisConnectionOptions(config({ REDIS_SENTINELS: '127.0.0.1:26379' }))!.options.reconnectOnError!;
    const url = redisConnectionOptions(config({ REDIS_URL: 'redis://127.0.0.1:6379' }))!.options.reconnectOnError!;
    const readonly = new Error("READONLY You can't write against a read only replica.");
    expect(sentinel(readonly)).toBe(2);
    expect(url(readonly)).toBe(1);
    const unblocked = new Error('UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)');
    expect(sentinel(unblocked)).toBe(1);
    expect(url(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
  });

  it('backs off exponentially up to a 1 s cap, with under 100 ms of jitter', () => {
    const delays = [1, 2, 3, 4, 5, 6, 50].map(reconnectDelay);
    const base = [50, 100, 200, 400, 800, 1000, 1000];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(base[i]!);
      expect(d).toBeLessThan(base[i]! + 100);
    });
  });
});
