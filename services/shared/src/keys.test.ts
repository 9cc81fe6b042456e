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
  });

  it('uses a configured prefix', () => {
    expect(redisKeys('staging').roomSeq('lobby')).toBe('staging:room:{lobby}:seq');
  });
});
