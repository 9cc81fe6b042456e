import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { Compile } from 'typebox/compile';
import { ServerFrame } from '@chatorbit/shared';
import { TestClient, waitFor } from '@chatorbit/shared/testing';
import { ChatCluster, isType, randomUserId, unlimited, type Engine } from './harness.ts';

const serverFrame = Compile(ServerFrame);
let roomCounter = 0;
const freshRoom = () => `presence-${process.pid}-${Date.now().toString(36)}-${++roomCounter}`;

/** Short periods so tests wait little; member lists up to 5 viewers. */
const INTERVAL_MS = 300;
const presenceEnv = { PRESENCE_HEARTBEAT_MS: '100', PRESENCE_INTERVAL_MS: String(INTERVAL_MS), PRESENCE_MEMBER_LIST_MAX: '5', ...unlimited };

type Counts = { viewers: number; users: number; guests: number };

/**
 * Presence on two chat nodes sharing an engine: counts over both nodes, member lists with room
 * roles, the room list, and the pushed presence frame.
 */
export function presenceBehaviour(makeEngine: () => Promise<Engine>) {
  let engine: Engine;
  let cluster: ChatCluster;
  let reader: string;
  const clients: TestClient[] = [];
  const track = <T extends TestClient>(c: T) => (clients.push(c), c);

  beforeAll(async () => {
    engine = await makeEngine();
    cluster = await new ChatCluster(engine, presenceEnv).start(2);
    // Presence is readable by guests too.
    reader = await cluster.token(randomUserId(), 'a-guest', ['guest']);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await cluster?.stop();
    await engine?.close();
  });

  /** A socket on `node` in `room`, as `userId` (a guest with guest=true). */
  const join = async (node: number, room: string, userId = randomUserId(), guest = false) => {
    const token = await cluster.token(userId, `name-${userId.slice(-4)}`, guest ? ['guest'] : []);
    const client = track(await TestClient.connect(`${cluster.nodes[node]!.wsUrl}?token=${token}`));
    await client.request({ type: 'join', room }, isType('joined'));
    return client;
  };

  const presence = async (node: number, room: string) => {
    const res = await cluster.api(node, reader, 'GET', `/api/v1/rooms/${room}/presence`);
    expect(res.status).toBe(200);
    return res.body as Counts & { room: string };
  };

  /** Waits until both nodes answer `expected` for the room. */
  const presenceIs = (room: string, expected: Counts) =>
    waitFor(
      async () => {
        for (const node of [0, 1]) {
          const got = await presence(node, room);
          expect(got).toEqual({ room, ...expected });
        }
        return true;
      },
      { timeoutMs: 5_000, message: `presence of ${room} to be ${JSON.stringify(expected)}` },
    );

  it('counts viewers, distinct users and guests over both nodes, and follows leaves', async () => {
    const alice = randomUserId();
    const bob = randomUserId();
    // A small room (member list): users counted once however many nodes they are on.
    const small = freshRoom();
    const aliceTab1 = await join(0, small, alice);
    await join(0, small, alice);
    await join(1, small, alice);
    const bobSocket = await join(1, small, bob);
    const guest = await join(0, small, randomUserId(), true);
    await presenceIs(small, { viewers: 5, users: 2, guests: 1 });

    // A big room (over the member-list size): users are summed per node, alice counts on both.
    const big = freshRoom();
    await join(0, big, alice);
    await join(0, big, alice);
    await join(1, big, alice);
    await join(1, big, bob);
    await join(0, big, randomUserId(), true);
    await join(1, big, randomUserId(), true);
    await presenceIs(big, { viewers: 6, users: 3, guests: 2 });

    aliceTab1.close();
    guest.close();
    await presenceIs(small, { viewers: 3, users: 2, guests: 0 });
    await bobSocket.request({ type: 'leave', room: small }, isType('left'));
    await presenceIs(small, { viewers: 2, users: 1, guests: 0 });
    expect(await presence(0, freshRoom())).toMatchObject({ viewers: 0, users: 0, guests: 0 });
  });

  it('lists the members of a small room once each, with their room roles, paged; a big room answers 409', async () => {
    const room = freshRoom();
    const owner = await cluster.addUser('owner');
    const mod = await cluster.addUser('mod');
    expect((await cluster.api(0, owner.token, 'POST', '/api/v1/rooms', { room })).status).toBe(201);
    expect((await cluster.api(1, owner.token, 'PUT', `/api/v1/rooms/${room}/roles/${mod.userId}`, { role: 'moderator' })).status).toBe(204);
    await join(0, room, owner.userId);
    await join(1, room, owner.userId);
    await join(1, room, mod.userId);
    const guestId = randomUserId();
    await join(0, room, guestId, true);
    await presenceIs(room, { viewers: 4, users: 2, guests: 1 });

    const expected = [
      { userId: owner.userId, name: `name-${owner.userId.slice(-4)}`, guest: false, role: 'owner' },
      { userId: mod.userId, name: `name-${mod.userId.slice(-4)}`, guest: false, role: 'moderator' },
      { userId: guestId, name: `name-${guestId.slice(-4)}`, guest: true, role: null },
    ].sort((a, b) => (a.userId < b.userId ? -1 : 1));
    const first = await cluster.api(1, reader, 'GET', `/api/v1/rooms/${room}/members?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ room, viewers: 4, members: expected.slice(0, 2), nextCursor: expected[1]!.userId });
    const second = await cluster.api(0, reader, 'GET', `/api/v1/rooms/${room}/members?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ room, viewers: 4, members: expected.slice(2), nextCursor: null });
    expect((await cluster.api(0, reader, 'GET', `/api/v1/rooms/${room}/members`)).body.members).toEqual(expected);

    // Over PRESENCE_MEMBER_LIST_MAX (5) viewers: no list.
    const big = freshRoom();
    for (let i = 0; i < 6; i++) await join(i % 2, big);
    await presenceIs(big, { viewers: 6, users: 6, guests: 0 });
    const refused = await cluster.api(0, reader, 'GET', `/api/v1/rooms/${big}/members`);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ error: { code: 'room_too_large', message: expect.stringContaining('at most 5') } });
    // An empty room has an empty list.
    expect((await cluster.api(1, reader, 'GET', `/api/v1/rooms/${freshRoom()}/members`)).body).toMatchObject({ viewers: 0, members: [], nextCursor: null });
  });

  it('lists active rooms by viewers, paged', async () => {
    const rooms = [freshRoom(), freshRoom(), freshRoom()];
    // rooms[0] gets 3 viewers, rooms[1] 1, rooms[2] 2: over both nodes.
    for (const [room, count] of [[rooms[0]!, 3], [rooms[1]!, 1], [rooms[2]!, 2]] as const) {
      for (let i = 0; i < count; i++) await join(i % 2, room);
    }
    const mine = new Set(rooms);
    await waitFor(
      async () => {
        // Walk every page, one room per page: the ranking holds these rooms in order.
        const seen: Array<Record<string, unknown>> = [];
        let cursor: string | null = '0';
        for (let pages = 0; cursor !== null && pages < 1000; pages++) {
          const res = await cluster.api(pages % 2, reader, 'GET', `/api/v1/rooms?limit=1&cursor=${cursor}`);
          expect(res.status).toBe(200);
          expect(res.body.rooms.length).toBeLessThanOrEqual(1);
          seen.push(...(res.body.rooms as Array<Record<string, unknown>>));
          cursor = res.body.nextCursor as string | null;
        }
        expect(seen.filter((r) => mine.has(r.room as string))).toEqual([
          { room: rooms[0], viewers: 3, users: 3, guests: 0 },
          { room: rooms[2], viewers: 2, users: 2, guests: 0 },
          { room: rooms[1], viewers: 1, users: 1, guests: 0 },
        ]);
        const viewers = seen.map((r) => r.viewers as number);
        expect(viewers).toEqual([...viewers].sort((a, b) => b - a));
        return true;
      },
      { timeoutMs: 5_000, message: 'the room list to rank the three rooms' },
    );
    const all = await cluster.api(0, reader, 'GET', '/api/v1/rooms');
    expect(all.body.total).toBeGreaterThanOrEqual(3);
    for (const query of ['?limit=0', '?limit=101', '?cursor=abc', '?cursor=-1']) {
      const res = await cluster.api(0, reader, 'GET', `/api/v1/rooms${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('invalid_query');
    }
  });

  it('refuses presence reads without a valid token and with a bad room or query', async () => {
    for (const path of ['/api/v1/rooms', '/api/v1/rooms/r1/presence', '/api/v1/rooms/r1/members']) {
      const res = await fetch(`${cluster.nodes[0]!.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      const bad = await cluster.api(1, 'not-a-token', 'GET', path);
      expect(bad.status).toBe(401);
    }
    expect((await cluster.api(0, reader, 'GET', '/api/v1/rooms/bad%20room/presence')).body.error.code).toBe('invalid_params');
    for (const query of ['?limit=0', '?limit=1001', `?cursor=${'x'.repeat(129)}`]) {
      const res = await cluster.api(0, reader, 'GET', `/api/v1/rooms/r1/members${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('invalid_query');
    }
  });

  it('pushes the viewer count at most once per interval, never per join, and only when it changed', async () => {
    const room = freshRoom();
    const quiet = freshRoom();
    const observer = await join(0, room);
    await observer.request({ type: 'join', room: quiet }, isType('joined'));
    expect(await observer.next(isType('presence', { room, viewers: 1 }), 5_000)).toEqual({ type: 'presence', room, viewers: 1 });
    await observer.next(isType('presence', { room: quiet, viewers: 1 }), 5_000);

    // A burst of 50 joins over both nodes.
    const before = observer.all(isType('presence', { room })).length;
    const started = Date.now();
    const joiners = await Promise.all(Array.from({ length: 50 }, (_, i) => join(i % 2, room)));
    await observer.next(isType('presence', { room, viewers: 51 }), 10_000);
    const elapsed = Date.now() - started;
    const during = observer.all(isType('presence', { room })).length - before;
    // One frame per interval at most (two intervals of slack for frames in flight at the edges),
    // where a frame per join would be 50.
    // eslint-disable-next-line no-console -- the figure the README quotes
    console.log(`[${engine.name}] 50 joins in ${elapsed} ms: ${during} presence frames to a member (interval ${INTERVAL_MS} ms)`);
    expect(during).toBeGreaterThanOrEqual(1);
    expect(during).toBeLessThanOrEqual(Math.floor(elapsed / INTERVAL_MS) + 2);
    // Every joiner is told the count, once per interval at most too.
    for (const joiner of joiners) {
      await joiner.next(isType('presence', { room, viewers: 51 }), 5_000);
      expect(joiner.all(isType('presence', { room })).length).toBeLessThanOrEqual(Math.floor((Date.now() - started) / INTERVAL_MS) + 2);
    }
    for (const f of observer.frames) expect(serverFrame.Check(f), JSON.stringify(f)).toBe(true);

    // The count of `room` no longer changes: the frame telling `quiet`'s new count comes in a
    // later interval, and no frame about `room` came with it or before it.
    const settled = observer.all(isType('presence', { room })).length;
    await join(1, quiet);
    await observer.next(isType('presence', { room: quiet, viewers: 2 }), 5_000);
    expect(observer.all(isType('presence', { room })).length).toBe(settled);

    // A leave is pushed too.
    joiners[0]!.close();
    expect(await observer.next(isType('presence', { room }), 5_000)).toEqual({ type: 'presence', room, viewers: 50 });
  });

  it('drops a node that shuts down out of the counts', async () => {
    const room = freshRoom();
    await join(0, room);
    const extra = await new ChatCluster(engine, presenceEnv).start(1);
    try {
      for (let i = 0; i < 3; i++) {
        const token = await extra.token(randomUserId(), 'extra');
        const c = track(await TestClient.connect(`${extra.nodes[0]!.wsUrl}?token=${token}`));
        await c.request({ type: 'join', room }, isType('joined'));
      }
      await presenceIs(room, { viewers: 4, users: 4, guests: 0 });
    } finally {
      await extra.stop();
    }
    await presenceIs(room, { viewers: 1, users: 1, guests: 0 });
  });
}
