import { describe, expect, it } from 'vitest';
import type { Message } from '@chatorbit/shared';
import { waitFor } from '@chatorbit/shared/testing';
import { RoomSequencer } from './sequencer.ts';

const message = (seq: number, deleted?: boolean): Message & { deleted?: boolean } => ({
  id: seq.toString(16).padStart(24, '0'),
  room: 'r',
  seq,
  user: { id: 'u', name: 'u' },
  text: `m${seq}`,
  ts: seq,
  ...(deleted ? { deleted } : {}),
});

/** A room history holding seqs 1..stored (some deleted), read back like RoomHistory.range. */
function setup(stored: number, opts: { deleted?: number[]; failReads?: boolean; maxFill?: number } = {}) {
  const emitted: number[] = [];
  const gaps: Array<[number, number]> = [];
  const errors: unknown[] = [];
  let release: () => void = () => {};
  let gate = Promise.resolve();
  const reads: Array<[number, number]> = [];
  const sequencer = new RoomSequencer({
    read: async (_room, after, before) => {
      reads.push([after, before]);
      await gate;
      if (opts.failReads) throw new Error('history unavailable');
      const out = [];
      for (let seq = after + 1; seq < before && seq <= stored; seq++) out.push(message(seq, opts.deleted?.includes(seq)));
      return out;
    },
    emit: (_room, m) => emitted.push(m.seq),
    onGap: (_room, missing, filled) => gaps.push([missing, filled]),
    onError: (_room, err) => errors.push(err),
    maxFill: opts.maxFill ?? 1000,
  });
  return {
    sequencer,
    emitted,
    gaps,
    errors,
    reads,
    /** Reads wait until unblock(): live messages arrive meanwhile. */
    block() {
      gate = new Promise((resolve) => (release = resolve));
    },
    unblock: () => release(),
  };
}

describe('RoomSequencer', () => {
  it('hands contiguous messages on at once, reading nothing', () => {
    const t = setup(10);
    for (const seq of [1, 2, 3]) t.sequencer.push('r', message(seq));
    expect(t.emitted).toEqual([1, 2, 3]);
    expect(t.reads).toEqual([]);
  });

  it('starts from whatever seq comes first in a room (a join reads what came before)', () => {
    const t = setup(100);
    t.sequencer.push('r', message(41));
    t.sequencer.push('r', message(42));
    expect(t.emitted).toEqual([41, 42]);
    expect(t.reads).toEqual([]);
  });

  it('fills a hole from history before the message that showed it, holding later live ones behind', async () => {
    const t = setup(20);
    t.sequencer.push('r', message(1));
    t.sequencer.push('r', message(2));
    t.block();
    t.sequencer.push('r', message(6)); // 3, 4, 5 were missed
    t.sequencer.push('r', message(7));
    expect(t.emitted).toEqual([1, 2]);
    t.unblock();
    await waitFor(() => t.emitted.length === 7);
    expect(t.emitted).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(t.reads).toEqual([[2, 6]]);
    expect(t.gaps).toEqual([[3, 3]]);
    t.sequencer.push('r', message(8));
    expect(t.emitted.at(-1)).toBe(8);
  });

  it('fills a second hole found among the held messages', async () => {
    const t = setup(20);
    t.sequencer.push('r', message(1));
    t.block();
    t.sequencer.push('r', message(3));
    t.sequencer.push('r', message(6));
    t.unblock();
    await waitFor(() => t.emitted.length === 6);
    expect(t.emitted).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.reads).toEqual([[1, 3], [3, 6]]);
  });

  it('skips deleted messages it reads back, and a seq handed out again passes as it comes', async () => {
    const t = setup(20, { deleted: [3] });
    t.sequencer.push('r', message(1));
    t.sequencer.push('r', message(5));
    await waitFor(() => t.emitted.length === 4);
    expect(t.emitted).toEqual([1, 2, 4, 5]);
    t.sequencer.push('r', message(4)); // after a failover lost writes
    t.sequencer.push('r', message(6));
    expect(t.emitted).toEqual([1, 2, 4, 5, 4, 6]);
  });

  it('reads at most maxFill messages of one hole', async () => {
    const t = setup(100, { maxFill: 5 });
    t.sequencer.push('r', message(1));
    t.sequencer.push('r', message(50));
    await waitFor(() => t.emitted.includes(50));
    expect(t.emitted).toEqual([1, 45, 46, 47, 48, 49, 50]);
    expect(t.gaps).toEqual([[48, 5]]);
  });

  it('hands the held messages on when history cannot be read', async () => {
    const t = setup(20, { failReads: true });
    t.sequencer.push('r', message(1));
    t.sequencer.push('r', message(4));
    t.sequencer.push('r', message(5));
    await waitFor(() => t.emitted.length === 3);
    expect(t.emitted).toEqual([1, 4, 5]);
    expect(t.errors).toHaveLength(1);
    expect(t.gaps).toEqual([[2, 0]]);
  });

  it('forgets a dropped room: its held messages are not handed on', async () => {
    const t = setup(20);
    t.sequencer.push('r', message(1));
    t.block();
    t.sequencer.push('r', message(4));
    t.sequencer.drop('r');
    t.unblock();
    await waitFor(() => t.reads.length === 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.emitted).toEqual([1]);
    t.sequencer.push('r', message(9)); // a new member later: starts over
    expect(t.emitted).toEqual([1, 9]);
  });
});
