import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Compile } from 'typebox/compile';
import WebSocket from 'ws';
import { CompatErrorFrame, CompatMessage, loadConfig } from '@chatorbit/shared';
import { TestClient, waitFor } from '@chatorbit/shared/testing';
import { chatConfigSchema, type ChatConfig } from '../config.ts';
import { ChatCluster, isType, randomUserId, unlimited, type Engine } from './harness.ts';

const compatMessage = Compile(CompatMessage);
const compatError = Compile(CompatErrorFrame);
let roomCounter = 0;
const freshRoom = () => `compat-${process.pid}-${Date.now().toString(36)}-${++roomCounter}`;
const isError = (code: string) => (f: Record<string, unknown>) => f.code === code && typeof f.error === 'string';
const isMessage = (content: string) => (f: Record<string, unknown>) => f.content === content && f.error === undefined;
const suiteEnv = { BATCH_WINDOW_MS: '0', MAX_FRAME_BYTES: '1024', PRESENCE_HEARTBEAT_MS: '200', ...unlimited };

/**
 * The original frontend's API on chat (COMPAT.md): the /ws/chat socket and the /chat/* routes,
 * sharing rooms and messages with the v1 protocol across two nodes on one engine. Every body and
 * frame sent here is one that document lists.
 */
export function compatBehaviour(makeEngine: (config: ChatConfig) => Promise<Engine>) {
  let engine: Engine;
  let cluster: ChatCluster;
  const clients: TestClient[] = [];
  const track = <T extends TestClient>(c: T) => (clients.push(c), c);

  beforeAll(async () => {
    engine = await makeEngine(loadConfig(chatConfigSchema, suiteEnv));
    cluster = await new ChatCluster(engine, suiteEnv).start(2);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await cluster?.stop();
    await engine?.close();
  });

  const compatUrl = (node: number, query: string) => `${cluster.nodes[node]!.url.replace('http', 'ws')}/ws/chat${query}`;
  /** A /ws/chat socket of a user made by addUser (or a throwaway one). */
  const compat = async (node: number, query = '', user?: { userId: string; name: string; token: string }) => {
    const who = user ?? { userId: randomUserId(), name: 'viewer', token: '' };
    const token = user?.token ?? (await cluster.token(who.userId, who.name));
    const client = track(await TestClient.connect(compatUrl(node, `?token=${token}${query}`)));
    return Object.assign(client, { userId: who.userId });
  };
  const native = async (node: number, room: string) => {
    const client = track(await cluster.connect(node));
    await client.request({ type: 'join', room }, isType('joined'));
    return client;
  };
  const history = async (node: number, room: string) => {
    const res = await fetch(`${cluster.nodes[node]!.url}/chat/history/${room}`);
    return { status: res.status, body: (await res.json()) as Array<Record<string, unknown>> };
  };
  /**
   * A compat socket has joined its room once a message posted there reaches it. Posts from a
   * v1 client until one does (the join runs right after the upgrade, concurrently with the test).
   */
  const untilJoined = async (client: TestClient, room: string) => {
    const probe = await native(0, room);
    let n = 0;
    await waitFor(async () => {
      const text = `probe-${++n}`;
      await probe.request({ type: 'send', room, text, nonce: `probe-${room}-${n}` }, isType('ack'));
      return client.next(isMessage(text), 200).then(() => true, () => false);
    }, { message: `the compat socket in ${room}` });
    probe.close();
  };

  describe('the /ws/chat socket', () => {
    it('starts in general, posts there and receives v1 messages in the original shape, its own echo included', async () => {
      const room = 'general';
      const viewer = await compat(0);
      await untilJoined(viewer, room);
      const other = await native(1, room);

      viewer.send({ content: 'hello from the old frontend' });
      const seen = await other.next(isType('message', { text: 'hello from the old frontend' }));
      expect(seen).toMatchObject({ room, user: { id: viewer.userId }, seq: expect.any(Number) });
      const echo = await viewer.next(isMessage('hello from the old frontend'));
      expect(echo).toEqual({ id: seen.id, room_id: room, user_id: viewer.userId, content: 'hello from the old frontend', timestamp: new Date(seen.ts as number).toISOString() });
      expect(echo.id).toMatch(/^[0-9a-f]{24}$/);

      const ack = await other.request({ type: 'send', room, text: 'hi back', nonce: 'n-back' }, isType('ack'));
      const got = await viewer.next(isMessage('hi back'));
      expect(got).toEqual({ id: ack.id, room_id: room, user_id: other.userId, content: 'hi back', timestamp: expect.any(String) });
      expect(Date.parse(got.timestamp as string)).toBeGreaterThan(0);
      for (const f of viewer.frames) expect(compatMessage.Check(f), JSON.stringify(f)).toBe(true);
    });

    it('moves to the room a frame names, then posts there: v1 members of that room on the other node get it', async () => {
      const r2 = freshRoom();
      const viewer = await compat(0);
      await untilJoined(viewer, 'general');
      const inR2 = await native(1, r2);
      const inGeneral = await native(1, 'general');
      // As in the original: a viewer that has not posted to r2 is not in it.
      await inR2.request({ type: 'send', room: r2, text: 'before you came', nonce: `b-${r2}` }, isType('ack'));

      viewer.send({ room_id: r2, content: 'moved' });
      const seen = await inR2.next(isType('message', { text: 'moved' }));
      expect(seen).toMatchObject({ room: r2, user: { id: viewer.userId } });
      expect(await viewer.next(isMessage('moved'))).toMatchObject({ id: seen.id, room_id: r2, user_id: viewer.userId });

      // It left general: a message there no longer reaches it, one in r2 does (in order).
      await inGeneral.request({ type: 'send', room: 'general', text: 'not for you', nonce: `g-${r2}` }, isType('ack'));
      await inR2.request({ type: 'send', room: r2, text: 'for you', nonce: `r-${r2}` }, isType('ack'));
      await viewer.next(isMessage('for you'));
      expect(viewer.all(isMessage('not for you'))).toEqual([]);
      expect(viewer.all(isMessage('before you came'))).toEqual([]);
      // Posting to the room it is in (named or not) does not move it.
      viewer.send({ room_id: r2, content: 'again' });
      viewer.send({ content: 'and again' });
      await viewer.next(isMessage('and again'));
      await inR2.next(isType('message', { text: 'and again' }));
      const texts = inR2.all(isType('message')).map((m) => m.text);
      expect(texts).toEqual(['before you came', 'moved', 'for you', 'again', 'and again']);
    });

    it('takes the room from room_id or roomId and the token from Authorization: Bearer', async () => {
      const [r1, r2] = [freshRoom(), freshRoom()];
      const a = await compat(1, `&room_id=${r1}`);
      await untilJoined(a, r1);
      const b = await compat(0, `&roomId=${r2}`);
      await untilJoined(b, r2);
      const userId = randomUserId();
      const c = track(await TestClient.connect(compatUrl(1, `?room_id=${r1}`), { authorization: `Bearer ${await cluster.token(userId, 'carol')}` }));
      await untilJoined(c, r1);
      c.send({ content: 'bearer works' });
      expect(await a.next(isMessage('bearer works'))).toMatchObject({ room_id: r1, user_id: userId });
      expect(b.all(isMessage('bearer works'))).toEqual([]);
    });

    it('closes with 4401 without a valid token and with 4400 for a room name outside the pattern', async () => {
      expect(await new TestClient(compatUrl(0, '')).waitClosed()).toEqual({ code: 4401, reason: 'unauthorized' });
      expect(await new TestClient(compatUrl(0, '?token=not.a.jwt')).waitClosed()).toEqual({ code: 4401, reason: 'unauthorized' });
      const token = await cluster.token(randomUserId(), 'x');
      expect((await new TestClient(compatUrl(0, `?token=${token}&room_id=bad%20room`)).waitClosed()).code).toBe(4400);
    });

    it('answers bad frames with an error frame carrying the sender\'s own user_id, and loses nothing', async () => {
      const room = freshRoom();
      const viewer = await compat(0, `&room_id=${room}`);
      await untilJoined(viewer, room);
      const before = (await history(1, room)).body.length;
      const cases: Array<[unknown, string]> = [
        ['this is not json', 'invalid_json'],
        [{ room_id: room }, 'invalid_frame'],
        [{ content: 42 }, 'invalid_frame'],
        [[1, 2], 'invalid_frame'],
        [{ content: '   ' }, 'invalid_text'],
        [{ content: 'x'.repeat(501) }, 'invalid_text'],
        [{ room_id: 'no spaces', content: 'x' }, 'invalid_room'],
        [{ content: 'y'.repeat(2000) }, 'frame_too_large'],
      ];
      for (const [frame, code] of cases) {
        const error = await viewer.request(frame, isError(code));
        expect(error).toMatchObject({ code, room_id: room, user_id: viewer.userId });
        expect(compatError.Check(error), JSON.stringify(error)).toBe(true);
      }
      viewer.socket.send(Buffer.from([1, 2, 3]), { binary: true });
      await viewer.next(isError('invalid_frame'));
      // Still in the room, still usable: the next good frame posts, and only it was stored.
      viewer.send({ content: 'still here' });
      const echo = await viewer.next(isMessage('still here'));
      const after = (await history(1, room)).body;
      expect(after.length).toBe(before + 1);
      expect(after[0]).toEqual(echo);
      expect(viewer.socket.readyState).toBe(WebSocket.OPEN);
    });

    it('applies bans, rate limits and blocked terms like v1: refused posts get an error frame and store nothing', async () => {
      const room = freshRoom();
      const [owner, viewer] = await Promise.all([cluster.addUser('owner'), cluster.addUser('viewer')]);
      expect((await cluster.api(0, owner.token, 'POST', '/api/v1/rooms', { room })).status).toBe(201);
      expect((await cluster.api(0, owner.token, 'PUT', `/api/v1/rooms/${room}/settings`, { blockedTerms: ['spoiler'] })).status).toBe(200);
      const socket = await compat(0, `&room_id=${room}`, viewer);
      await untilJoined(socket, room);

      expect(await socket.request({ room_id: room, content: 'big SPOILER ahead' }, isError('blocked_term'))).toMatchObject({ user_id: viewer.userId });
      expect((await cluster.api(1, owner.token, 'PUT', `/api/v1/rooms/${room}/ratelimit`, { messages: 1, perSec: 60 })).status).toBe(200);
      socket.send({ room_id: room, content: 'first' });
      await socket.next(isMessage('first'));
      const limited = await socket.request({ room_id: room, content: 'second' }, isError('rate_limited'));
      expect(limited.retry_after_ms).toBeGreaterThan(0);

      // A ban reaches the socket on the node it is on; after it, posting there is refused.
      expect((await cluster.api(1, owner.token, 'POST', `/api/v1/rooms/${room}/bans`, { userId: viewer.userId, reason: 'spam' })).status).toBe(201);
      expect(await socket.next(isError('banned'))).toMatchObject({ room_id: room, until: null, user_id: viewer.userId });
      expect(await socket.request({ room_id: room, content: 'let me back' }, isError('banned'))).toMatchObject({ until: null });
      const stored = (await history(0, room)).body.filter((m) => m.user_id === viewer.userId);
      expect(stored.map((m) => m.content)).toEqual(['first']);
    });

    it('pings, and drops a client that stops answering', async () => {
      const quick = new ChatCluster(engine, { ...suiteEnv, COMPAT_PING_INTERVAL_MS: '100', COMPAT_PONG_TIMEOUT_MS: '400' });
      quick.signer = cluster.signer;
      await quick.start(1);
      // autoPong off: this client receives pings and never answers them.
      const url = `${quick.nodes[0]!.url.replace('http', 'ws')}/ws/chat?token=${await quick.token(randomUserId(), 'z')}`;
      const silent = new WebSocket(url, { autoPong: false });
      try {
        let pings = 0;
        silent.on('ping', () => pings++);
        const closed = new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
        const answering = track(await TestClient.connect(url));
        expect(await closed).toBe(1006); // terminated, without a close frame
        expect(pings).toBeGreaterThanOrEqual(1);
        expect(answering.socket.readyState).toBe(WebSocket.OPEN);
      } finally {
        silent.terminate();
        await quick.stop();
      }
    });
  });

  describe('GET /chat/history/:roomID, POST /chat/rooms and GET /chat/rooms/:roomID/presence', () => {
    it('counts the sockets of a room on every node as online, without a token', async () => {
      const room = freshRoom();
      const online = async (node: number) => {
        const res = await fetch(`${cluster.nodes[node]!.url}/chat/rooms/${room}/presence`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      expect(await online(0)).toEqual({ status: 200, body: { room_id: room, online: 0 } });
      const a = await compat(0, `&room_id=${room}`);
      await untilJoined(a, room);
      await native(1, room);
      await native(1, room);
      await waitFor(async () => (await online(0)).body.online === 3 && (await online(1)).body.online === 3, { message: '3 online on both nodes' });
      a.close();
      await waitFor(async () => (await online(1)).body.online === 2, { message: '2 online after one left' });
      const bad = await fetch(`${cluster.nodes[0]!.url}/chat/rooms/${encodeURIComponent('a room')}/presence`);
      expect([bad.status, await bad.json()]).toEqual([400, { error: expect.any(String) }]);
    });

    it('lists the latest 50 messages of a room, newest first, in the original shape, without a token', async () => {
      const room = freshRoom();
      expect(await history(0, room)).toEqual({ status: 200, body: [] });
      const sender = await native(0, room);
      for (let i = 1; i <= 55; i++) sender.send({ type: 'send', room, text: `m${i}`, nonce: `h${i}` });
      await sender.collect(isType('ack'), 55, 10_000);
      const { status, body } = await history(1, room);
      expect(status).toBe(200);
      expect(body.map((m) => m.content)).toEqual(Array.from({ length: 50 }, (_, i) => `m${55 - i}`));
      expect(body[0]).toEqual({ id: expect.stringMatching(/^[0-9a-f]{24}$/), room_id: room, user_id: sender.userId, content: 'm55', timestamp: expect.any(String) });
      for (const m of body) expect(compatMessage.Check(m)).toBe(true);
    });

    it('refuses a room name outside the pattern with 400 { error: "<string>" }', async () => {
      const res = await fetch(`${cluster.nodes[0]!.url}/chat/history/${encodeURIComponent('a room')}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.any(String) });
    });

    it('creates a room idempotently, with a bearer token or the token cookie; the first caller owns it', async () => {
      const room = freshRoom();
      const [first, second] = await Promise.all([cluster.addUser('first'), cluster.addUser('second')]);
      const post = (headers: Record<string, string>, body: string) =>
        fetch(`${cluster.nodes[0]!.url}/chat/rooms`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const created = await post({ authorization: `Bearer ${first.token}` }, JSON.stringify({ room_id: room }));
      expect([created.status, await created.json()]).toEqual([200, { room_id: room }]);
      const again = await post({ cookie: `theme=dark; token=${second.token}` }, JSON.stringify({ room_id: room }));
      expect([again.status, await again.json()]).toEqual([200, { room_id: room }]);
      const roles = await cluster.api(1, first.token, 'GET', `/api/v1/rooms/${room}/roles`);
      expect(roles.body.roles).toEqual([{ userId: first.userId, role: 'owner' }]);

      for (const [headers, body, status] of [
        [{}, JSON.stringify({ room_id: room }), 401],
        [{ cookie: 'token=garbage' }, JSON.stringify({ room_id: room }), 401],
        [{ authorization: `Bearer ${first.token}` }, JSON.stringify({ room: room }), 400],
        [{ authorization: `Bearer ${first.token}` }, JSON.stringify({ room_id: 'bad room' }), 400],
        [{ authorization: `Bearer ${first.token}` }, '{not json', 400],
      ] as const) {
        const res = await post(headers, body);
        expect(res.status, body).toBe(status);
        expect(await res.json()).toEqual({ error: expect.any(String) });
      }
    });
  });
}
