import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createRedis, redisKeys } from '@chatorbit/shared';
import { waitFor } from '@chatorbit/shared/testing';
import type { Redis } from 'ioredis';
import { LocalPresence } from './local.ts';
import { RedisPresenceStore } from './redis-store.ts';

const keys = redisKeys(`presence-store-${process.pid}-${Date.now().toString(36)}`);
let redis: Redis;
const noop = { deliver() {}, notice() {} };
const user = (userId: string) => ({ userId, name: `n-${userId}`, roles: [] });

beforeAll(() => {
  redis = createRedis(inject('redisUrl'), 'presence-store-test');
});
afterAll(async () => {
  await redis.quit();
});

const node = (nodeId: string) => ({
  local: new LocalPresence(),
  store: new RedisPresenceStore({ redis, keys, nodeId, heartbeatMs: 100, memberListMax: 3 }),
});

it('rewrites a member list Redis lost at the next heartbeat but one', async () => {
  const a = node('a');
  a.local.join('r1', { ...noop }, user('u1'));
  a.local.join('r1', { ...noop }, user('u2'));
  await a.store.publish(a.local);
  expect((await a.store.room('r1', true)).members?.map((m) => m.userId)).toEqual(['u1', 'u2']);
  await redis.del(keys.presenceMembers('r1', 'a'));
  expect(await a.store.room('r1', true)).toEqual({ viewers: 2, users: 0, guests: 0, members: [] });
  await a.store.publish(a.local); // finds the hash gone
  await a.store.publish(a.local); // rewrites it
  expect(await a.store.room('r1', true)).toEqual({ viewers: 2, users: 2, guests: 0, members: [
    { userId: 'u1', name: 'n-u1', guest: false },
    { userId: 'u2', name: 'n-u2', guest: false },
  ] });
  await a.store.withdraw();
});

it('forgets a node that stops publishing after three heartbeats, and its member list when its room grows too big', async () => {
  const [a, b] = [node('a'), node('b')];
  a.local.join('r2', { ...noop }, user('u1'));
  b.local.join('r2', { ...noop }, user('u2'));
  await a.store.publish(a.local);
  await b.store.publish(b.local);
  expect(await a.store.room('r2', false)).toEqual({ viewers: 2, users: 2, guests: 0 });
  // b grows r2 past the member-list size (3): its member hash goes, the room is no longer listed.
  for (const id of ['u3', 'u4', 'u5']) b.local.join('r2', { ...noop }, user(id));
  await b.store.publish(b.local);
  expect(await redis.exists(keys.presenceMembers('r2', 'b'))).toBe(0);
  expect(await a.store.room('r2', true)).toEqual({ viewers: 5, users: 5, guests: 0 });
  // b stops publishing (it died): its counts expire, the summary drops it and its id.
  await waitFor(async () => {
    await a.store.publish(a.local);
    expect(await a.store.room('r2', true)).toEqual({ viewers: 1, users: 1, guests: 0, members: [{ userId: 'u1', name: 'n-u1', guest: false }] });
    expect((await a.store.rooms(0, 10)).rooms).toEqual([{ room: 'r2', viewers: 1, users: 1, guests: 0 }]);
    return true;
  }, { timeoutMs: 3_000, intervalMs: 50, message: "b's counts to expire" });
  expect(await redis.smembers(keys.presenceNodes)).toEqual(['a']);
  await a.store.withdraw();
  expect(await a.store.room('r2', true)).toEqual({ viewers: 0, users: 0, guests: 0, members: [] });
});
