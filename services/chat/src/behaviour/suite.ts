import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServerFrame } from '@chatorbit/shared';
import { Compile } from 'typebox/compile';
import WebSocket from 'ws';
import { TestClient } from '@chatorbit/shared/testing';
import { ChatCluster, isType, type Engine } from './harness.ts';

const serverFrame = Compile(ServerFrame);
let roomCounter = 0;
/** A fresh room per test: engines keep state across tests within a file. */
const freshRoom = () => `room-${process.pid}-${Date.now().toString(36)}-${++roomCounter}`;

/**
 * The chat behaviour every engine must show. Runs over WebSockets on loopback against nodes
 * that share the engine: two nodes = two chat instances on one bus.
 */
export function chatBehaviour(makeEngine: () => Promise<Engine>) {
  let engine: Engine;
  let cluster: ChatCluster;
  const clients: TestClient[] = [];
  const track = <T extends TestClient>(c: T) => (clients.push(c), c);

  beforeAll(async () => {
    engine = await makeEngine();
    cluster = await new ChatCluster(engine).start(2);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await cluster?.stop();
    await engine?.close();
  });

  const history = async (node: number, room: string, query = '') => {
    const token = await cluster.token('0123456789abcdef01234567', 'reader');
    const res = await fetch(`${cluster.nodes[node]!.url}/api/v1/rooms/${room}/messages${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as { messages: Array<Record<string, unknown>>; nextBefore: number | null } };
  };

  describe('messaging', () => {
    it('delivers a message sent on one node to members on the other, acked with id and seq', async () => {
      const room = freshRoom();
      const alice = track(await cluster.connect(0));
      const bob = track(await cluster.connect(1));
      const joinedA = await alice.request({ type: 'join', room }, isType('joined'));
      await bob.request({ type: 'join', room }, isType('joined'));
      expect(joinedA).toMatchObject({ type: 'joined', room, seq: 0, history: [] });

      const ack = await alice.request({ type: 'send', room, text: 'hello', nonce: 'n1' }, isType('ack'));
      expect(ack).toMatchObject({ type: 'ack', nonce: 'n1', seq: 1 });
      expect(ack.id).toMatch(/^[0-9a-f]{24}$/);

      const received = await bob.next(isType('message'));
      expect(received).toEqual({
        type: 'message',
        room,
        id: ack.id,
        seq: 1,
        user: { id: alice.userId, name: alice.name },
        text: 'hello',
        ts: expect.any(Number),
      });
      // The sender receives its own message too, with the sender's user id (clients dedupe by id).
      expect((await alice.collect(isType('message'), 1))[0]).toEqual(received);
      for (const f of [...alice.frames, ...bob.frames]) expect(serverFrame.Check(f), JSON.stringify(f)).toBe(true);
    });

    it('gives concurrent sends from both nodes unique, increasing seqs and delivers each exactly once', async () => {
      const room = freshRoom();
      const a = track(await cluster.connect(0));
      const b = track(await cluster.connect(1));
      await a.request({ type: 'join', room }, isType('joined'));
      await b.request({ type: 'join', room }, isType('joined'));
      const perClient = 25;
      for (let i = 0; i < perClient; i++) {
        a.send({ type: 'send', room, text: `a${i}`, nonce: `a${i}` });
        b.send({ type: 'send', room, text: `b${i}`, nonce: `b${i}` });
      }
      for (const c of [a, b]) {
        await c.collect(isType('message'), 2 * perClient);
        await c.collect(isType('ack'), perClient);
      }
      const seqsA = a.all(isType('message')).map((m) => m.seq as number);
      const seqsB = b.all(isType('message')).map((m) => m.seq as number);
      expect(new Set(seqsA).size).toBe(2 * perClient);
      expect([...seqsA].sort((x, y) => x - y)).toEqual(Array.from({ length: 2 * perClient }, (_, i) => i + 1));
      expect([...seqsB].sort((x, y) => x - y)).toEqual([...seqsA].sort((x, y) => x - y));
      // Acks for one client's sends come back in the order it sent them, with rising seqs.
      const ackSeqs = a.all(isType('ack')).map((f) => f.seq as number);
      expect(ackSeqs).toEqual([...ackSeqs].sort((x, y) => x - y));
      const { body } = await history(1, room, '?limit=100');
      expect(body.messages).toHaveLength(2 * perClient);
    });

    it('replays recent history on join, oldest first, and pages it over HTTP newest first', async () => {
      const room = freshRoom();
      const writer = track(await cluster.connect(0));
      await writer.request({ type: 'join', room }, isType('joined'));
      for (let i = 1; i <= 5; i++) await writer.request({ type: 'send', room, text: `m${i}`, nonce: `n${i}` }, isType('ack'));

      const late = track(await cluster.connect(1));
      const joined = await late.request({ type: 'join', room }, isType('joined'));
      expect(joined.seq).toBe(5);
      expect((joined.history as Array<{ text: string }>).map((m) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);

      const page1 = await history(1, room, '?limit=2');
      expect(page1.status).toBe(200);
      expect(page1.body.messages.map((m) => m.seq)).toEqual([5, 4]);
      expect(page1.body.nextBefore).toBe(4);
      const page2 = await history(0, room, `?limit=2&before=${page1.body.nextBefore}`);
      expect(page2.body.messages.map((m) => m.text)).toEqual(['m3', 'm2']);
      const page3 = await history(0, room, `?limit=2&before=${page2.body.nextBefore}`);
      expect(page3.body.messages.map((m) => m.text)).toEqual(['m1']);
      expect(page3.body.nextBefore).toBeNull();
    });

    it('stops delivering a room after leave, keeps delivering the others', async () => {
      const [r1, r2] = [freshRoom(), freshRoom()];
      const viewer = track(await cluster.connect(1));
      const writer = track(await cluster.connect(0));
      for (const room of [r1, r2]) {
        await viewer.request({ type: 'join', room }, isType('joined'));
        await writer.request({ type: 'join', room }, isType('joined'));
      }
      expect(await viewer.request({ type: 'leave', room: r1 }, isType('left'))).toEqual({ type: 'left', room: r1 });
      await writer.request({ type: 'send', room: r1, text: 'after leave', nonce: 'x' }, isType('ack'));
      await writer.request({ type: 'send', room: r2, text: 'still here', nonce: 'y' }, isType('ack'));
      await viewer.next(isType('message', { text: 'still here' }));
      expect(viewer.all(isType('message', { room: r1 }))).toEqual([]);
      expect(await viewer.request({ type: 'leave', room: r1 }, isType('error'))).toMatchObject({ code: 'not_joined', room: r1 });
    });

    it('answers ping with pong', async () => {
      const c = track(await cluster.connect(0));
      expect(await c.request({ type: 'ping' }, () => true)).toEqual({ type: 'pong' });
    });
  });

  describe('bad input', () => {
    const cases: Array<[string, unknown, string]> = [
      ['not JSON', '{"type":"send",', 'invalid_json'],
      ['a JSON array', '[1,2]', 'invalid_frame'],
      ['a JSON string', '"join"', 'invalid_frame'],
      ['an unknown type', { type: 'shout', room: 'r1' }, 'unknown_type'],
      ['no type', { room: 'r1' }, 'unknown_type'],
      ['a room with a space', { type: 'join', room: 'bad room' }, 'invalid_room'],
      ['a room of 65 characters', { type: 'join', room: 'a'.repeat(65) }, 'invalid_room'],
      ['an empty room', { type: 'join', room: '' }, 'invalid_room'],
      ['a numeric room', { type: 'join', room: 5 }, 'invalid_room'],
      ['a send without nonce', { type: 'send', room: 'ROOM', text: 'hi' }, 'invalid_frame'],
      ['a send with numeric text', { type: 'send', room: 'ROOM', text: 5, nonce: 'n' }, 'invalid_frame'],
      ['a blank text', { type: 'send', room: 'ROOM', text: '   \n', nonce: 'n' }, 'invalid_text'],
      ['an empty text', { type: 'send', room: 'ROOM', text: '', nonce: 'n' }, 'invalid_text'],
      ['a text of 501 characters', { type: 'send', room: 'ROOM', text: 'x'.repeat(501), nonce: 'n' }, 'invalid_text'],
      ['a text of 501 emoji', { type: 'send', room: 'ROOM', text: '😀'.repeat(501), nonce: 'n' }, 'invalid_text'],
      ['a frame over 64 KiB', { type: 'send', room: 'ROOM', text: 'x'.repeat(70_000), nonce: 'n' }, 'frame_too_large'],
      ['a send to a room not joined', { type: 'send', room: 'elsewhere', text: 'hi', nonce: 'n' }, 'not_joined'],
    ];

    it.each(cases)('refuses %s with an error frame, stores nothing, and keeps the socket', async (_name, frame, code) => {
      const room = freshRoom();
      const c = track(await cluster.connect(0));
      await c.request({ type: 'join', room }, isType('joined'));
      const payload = typeof frame === 'string' ? frame : JSON.stringify(frame).replaceAll('ROOM', room);
      const error = await c.request(payload, isType('error'));
      expect(error).toMatchObject({ type: 'error', code, message: expect.any(String) });
      expect(serverFrame.Check(error)).toBe(true);
      if (code !== 'frame_too_large' && typeof frame === 'object' && frame && 'nonce' in frame) expect(error.nonce).toBe('n');
      expect(await c.request({ type: 'ping' }, isType('pong'))).toEqual({ type: 'pong' });
      expect(c.all(isType('message'))).toEqual([]);
      expect((await history(0, room)).body.messages).toEqual([]);
    });

    it('accepts 500 emoji (the limit counts characters, not UTF-16 units)', async () => {
      const room = freshRoom();
      const c = track(await cluster.connect(0));
      await c.request({ type: 'join', room }, isType('joined'));
      await c.request({ type: 'send', room, text: '😀'.repeat(500), nonce: 'e' }, isType('ack'));
    });

    it('refuses binary frames', async () => {
      const c = track(await cluster.connect(0));
      c.socket.send(Buffer.from([1, 2, 3]));
      expect(await c.next(isType('error'))).toMatchObject({ code: 'invalid_frame' });
    });

    it('closes with 1009 a frame over the hard limit', async () => {
      const c = track(await cluster.connect(0));
      c.send('x'.repeat(64 * 1024 * 4 + 1));
      expect((await c.waitClosed()).code).toBe(1009);
    });

    it('closes with 4401 a socket without a token or with a bad one', async () => {
      for (const query of ['', '?token=garbage', `?token=${(await cluster.token('0123456789abcdef01234567', 'x')).slice(0, -3)}abc`]) {
        const c = new TestClient(`${cluster.nodes[0]!.wsUrl}${query}`);
        expect(await c.waitClosed()).toEqual({ code: 4401, reason: 'unauthorized' });
      }
    });

    it('accepts the token as an Authorization header', async () => {
      const token = await cluster.token('0123456789abcdef01234567', 'hdr');
      const c = track(await TestClient.connect(cluster.nodes[1]!.wsUrl, { authorization: `Bearer ${token}` }));
      expect(await c.request({ type: 'ping' }, isType('pong'))).toEqual({ type: 'pong' });
    });

    it('refuses history reads without a token, with a bad room or a bad limit', async () => {
      const base = cluster.nodes[0]!.url;
      const res = await fetch(`${base}/api/v1/rooms/r1/messages`);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      expect((await history(0, 'bad%20room')).status).toBe(400);
      for (const q of ['?limit=0', '?limit=101', '?limit=abc', '?before=0', '?before=x']) {
        const r = await history(0, 'r1', q);
        expect(r.status, q).toBe(400);
        expect((r.body as unknown as { error: { code: string } }).error.code).toBe('invalid_query');
      }
    });
  });

  describe('shutdown', () => {
    it('closes sockets with 1001 going away when a node shuts down', async () => {
      const extra = await new ChatCluster(engine).start(1);
      const c = await extra.connect(0);
      await c.request({ type: 'join', room: freshRoom() }, isType('joined'));
      const closing = extra.stop();
      expect(await c.waitClosed()).toEqual({ code: 1001, reason: 'server shutting down' });
      await closing;
      expect(c.socket.readyState).toBe(WebSocket.CLOSED);
    });
  });
}
