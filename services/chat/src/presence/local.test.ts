import { describe, expect, it } from 'vitest';
import { LocalPresence } from './local.ts';
import type { Subscriber } from '../hub/hub.ts';

/** A socket that records the frames it is given. */
const socket = () => {
  const frames: string[] = [];
  return Object.assign({ deliver() {}, notice: (_room: string, frame: string) => void frames.push(frame) } satisfies Subscriber, { frames });
};
const user = (userId: string, roles: string[] = []) => ({ userId, name: `n-${userId}`, roles });

describe('LocalPresence', () => {
  it('counts sockets, distinct users and distinct guests, and forgets empty rooms', () => {
    const local = new LocalPresence();
    const [a1, a2, b, g] = [socket(), socket(), socket(), socket()];
    local.join('r', a1, user('a'));
    local.join('r', a2, user('a'));
    local.join('r', a1, user('a')); // the same socket twice counts once
    local.join('r', b, user('b'));
    local.join('r', g, user('g', ['guest']));
    expect(local.counts('r')).toEqual({ viewers: 4, users: 2, guests: 1 });
    expect(local.members('r').map((m) => [m.userId, m.guest])).toEqual([['a', false], ['b', false], ['g', true]]);
    local.leave('r', a1);
    local.leave('r', a1); // leaving twice is harmless
    local.leave('elsewhere', b);
    expect(local.counts('r')).toEqual({ viewers: 3, users: 2, guests: 1 });
    for (const s of [a2, b, g]) local.leave('r', s);
    expect(local.counts('r')).toBeUndefined();
    expect([...local.rooms()]).toEqual([]);
  });

  it('reports the rooms whose people changed, not those where someone opened another tab', () => {
    const local = new LocalPresence();
    const [a1, a2] = [socket(), socket()];
    local.join('r', a1, user('a'));
    expect(local.takeChanged()).toEqual(new Set(['r']));
    local.join('r', a2, user('a'));
    local.leave('r', a1);
    expect(local.takeChanged()).toEqual(new Set());
    local.leave('r', a2);
    expect(local.takeChanged()).toEqual(new Set(['r']));
    local.restoreChanged(['x']);
    expect(local.takeChanged()).toEqual(new Set(['x']));
  });

  it('notifies every socket, or only those that joined since the last notification', () => {
    const local = new LocalPresence();
    const [old, fresh] = [socket(), socket()];
    local.join('r', old, user('a'));
    expect(local.notify('r', 'f1', true)).toBe(1);
    local.join('r', fresh, user('b'));
    expect(local.notify('r', 'f2', false)).toBe(1);
    expect(local.notify('r', 'f3', false)).toBe(0);
    expect(local.notify('r', 'f4', true)).toBe(2);
    expect(old.frames).toEqual(['f1', 'f4']);
    expect(fresh.frames).toEqual(['f2', 'f4']);
    expect(local.notify('nowhere', 'f', true)).toBe(0);
  });
});
