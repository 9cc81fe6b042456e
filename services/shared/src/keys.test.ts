import { describe, expect, it } from 'vitest';
import { redisKeys } from './keys.ts';

describe('redisKeys', () => {
  it('puts a room in one hash slot under the prefix', () => {
    const keys = redisKeys();
    expect(keys.roomSeq('r1')).toBe('orbit:room:{r1}:seq');
    expect(keys.roomChannel('r1')).toBe('orbit:room:{r1}:bus');
    expect(keys.roomRecent('r1')).toBe('orbit:room:{r1}:recent');
    expect(keys.sendNonce('r1', 'u1', 'n-1')).toBe('orbit:room:{r1}:nonce:u1:n-1');
    expect(keys.persistStream).toBe('orbit:persist');
    expect(keys.roomBan('r1', 'u1')).toBe('orbit:room:{r1}:ban:u1');
    expect(keys.globalBan('u1')).toBe('orbit:ban:u1');
    expect(keys.roomRoles('r1')).toBe('orbit:room:{r1}:roles');
    expect(keys.roomRateLimit('r1')).toBe('orbit:room:{r1}:ratelimit');
    expect(keys.rateState('r1', 'u1')).toBe('orbit:room:{r1}:rl:u1');
    expect(keys.controlChannel).toBe('orbit:control');
    expect(keys.roomSettings('r1')).toBe('orbit:room:{r1}:settings');
    expect(keys.roomDeleted('r1')).toBe('orbit:room:{r1}:deleted');
    expect(keys.roomCleared('r1')).toBe('orbit:room:{r1}:cleared');
    expect(keys.slowMode('r1', 'u1')).toBe('orbit:room:{r1}:slow:u1');
    expect(keys.presenceNodes).toBe('orbit:presence:nodes');
    expect(keys.presenceNode('n1', 'viewers')).toBe('orbit:presence:node:n1:viewers');
    expect(`${keys.presenceNodePrefix}n1:guests`).toBe(keys.presenceNode('n1', 'guests'));
    expect(keys.presenceMembers('r1', 'n1')).toBe('orbit:room:{r1}:members:n1');
    expect(keys.presenceRooms('users')).toBe('orbit:presence:rooms:users');
  });

  it('uses a configured prefix', () => {
    expect(redisKeys('staging').roomSeq('lobby')).toBe('staging:room:{lobby}:seq');
  });
});
