import { describe, expect, it } from 'vitest';
import { redisKeys } from './keys.ts';

describe('redisKeys', () => {
  it('puts a room in one hash slot under the prefix', () => {
    const keys = redisKeys();
    expect(keys.roomSeq('r1')).toBe('orbit:room:{r1}:seq');
    expect(keys.roomChannel('r1')).toBe('orbit:room:{r1}:bus');
  });

  it('uses a configured prefix', () => {
    expect(redisKeys('staging').roomSeq('lobby')).toBe('staging:room:{lobby}:seq');
  });
});
