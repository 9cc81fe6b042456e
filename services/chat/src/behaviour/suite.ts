import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServerFrame } from '@chatorbit/shared';
import { Compile } from 'typebox/compile';
import WebSocket from 'ws';
import { TestClient, waitFor } from '@chatorbit/shared/testing';
import { loadConfig } from '@chatorbit/shared';
import { ChatCluster, deliveredSeqs, isType, unlimited, type Engine } from './harness.ts';
import { chatConfigSchema, type ChatConfig } from '../config.ts';

const serverFrame = Compile(ServerFrame);
let roomCounter = 0;
/** A fresh room per test: engines keep state across tests within a file. */
const freshRoom = () => `room-${process.pid}-${Date.now().toString(36)}-${++roomCounter}`;

/**
 * The chat behaviour every engine must show. Runs over WebSockets on loopback against nodes
 * that share the engine: two nodes = two chat instances on one bus.
 */
/** A small recent history, so tests cross from it into the durable log. */
const suiteEnv = { RECENT_HISTORY_SIZE: '10', RESUME_MAX_MESSAGES: '30', BATCH_WINDOW_MS: '0', ...unlimited };

export function chatBehaviour(makeEngine: (config: ChatConfig) => Promise<Engine>) {
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

  const history = async (node: number, room: string, query = '') => {
    const token = await cluster.token('0123456789abcdef01234567', 'reader');
    const res = await fetch(`${cluster.nodes[node]!.url}/api/v1/rooms/${room}/messages${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return {
      status: res.status,
      body: (await res.json()) as { messages: Array<Record<string, unknown>>; nextBefore: number | null; nextAfter: number | null },
    };
  };

  /** Sends `count` messages m<from>… and waits for their acks. */
  const sendMany = async (client: TestClient, room: string, count: number, from = 1) => {
    for (let i = from; i < from + count; i++) client.send({ type: 'send', room, text: `m${i}`, nonce: `${room}-${i}` });
    await client.collect((f) => f.type === 'ack' && String(f.nonce).startsWith(`${room}-`), from + count - 1, 10_000);
  };

  /** Waits until the durable log holds `count` messages of the room (the persister is asynchronous). */
  const persisted = async (room: string, count: number) => {
    const { log } = cluster.nodes[0]!.engine;
    await waitFor(async () => (await log.page(room, { limit: count + 1, order: 'desc' })).length === count, {
      timeoutMs: 10_000,
      message: `${count} messages of ${room} in the log`,
    });
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
      // The suite keeps only 10 recent messages in Redis: the rest is read from the log, once written.
      await persisted(room, 2 * perClient);
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

  describe('idempotent sends', () => {
    it('answers a repeated (user, nonce) with the first id and seq, storing and delivering it once', async () => {
      const room = freshRoom();
      const c = track(await cluster.connect(0));
      const other = track(await cluster.connect(1));
      await c.request({ type: 'join', room }, isType('joined'));
      await other.request({ type: 'join', room }, isType('joined'));
      const first = await c.request({ type: 'send', room, text: 'once', nonce: 'retry-me' }, isType('ack'));
      const again = await c.request({ type: 'send', room, text: 'once', nonce: 'retry-me' }, isType('ack'));
      expect(again).toEqual(first);
      await c.request({ type: 'send', room, text: 'next', nonce: 'other' }, isType('ack', { nonce: 'other' }));
      const seen = await other.collect(isType('message'), 2);
      expect(seen.map((m) => m.text)).toEqual(['once', 'next']);
      expect(seen.map((m) => m.seq)).toEqual([1, 2]);
      // The same nonce from another user is another message.
      const stranger = track(await cluster.connect(1));
      await stranger.request({ type: 'join', room }, isType('joined'));
      const theirs = await stranger.request({ type: 'send', room, text: 'mine', nonce: 'retry-me' }, isType('ack'));
      expect(theirs.seq).toBe(3);
    });
  });

  describe('resume and history', () => {
    it('replays exactly what a client missed after `since`, then goes on live', async () => {
      const room = freshRoom();
      const writer = track(await cluster.connect(0));
      await writer.request({ type: 'join', room }, isType('joined'));
      const viewer = track(await cluster.connect(1));
      await viewer.request({ type: 'join', room }, isType('joined'));
      await sendMany(writer, room, 3);
      const seen = await viewer.collect(isType('message'), 3);
      viewer.close();
      await viewer.waitClosed();
      await sendMany(writer, room, 5, 4); // missed while away: seqs 4..8

      const back = track(await cluster.connect(0, viewer.userId, viewer.name));
      const joined = await back.request({ type: 'join', room, since: seen.at(-1)!.seq }, isType('joined'));
      expect(joined.recovered).toBe(true);
      expect((joined.history as Array<{ seq: number }>).map((m) => m.seq)).toEqual([4, 5, 6, 7, 8]);
      await writer.request({ type: 'send', room, text: 'live', nonce: 'live' }, isType('ack', { nonce: 'live' }));
      expect((await back.collect(isType('message'), 1)).map((m) => m.seq)).toEqual([9]);

      const upToDate = track(await cluster.connect(1));
      expect(await upToDate.request({ type: 'join', room, since: 9 }, isType('joined'))).toMatchObject({ recovered: true, history: [], seq: 9 });
    });

    it('replays from the durable log what the recent history no longer holds', async () => {
      const room = freshRoom();
      const writer = track(await cluster.connect(0));
      await writer.request({ type: 'join', room }, isType('joined'));
      await sendMany(writer, room, 25); // the recent history keeps about 10
      await persisted(room, 25);
      const back = track(await cluster.connect(1));
      const joined = await back.request({ type: 'join', room, since: 2 }, isType('joined'));
      expect(joined.recovered).toBe(true);
      expect((joined.history as Array<{ seq: number }>).map((m) => m.seq)).toEqual(Array.from({ length: 23 }, (_, i) => i + 3));
    });

    it('says recovered:false, with the latest messages, when a client missed more than RESUME_MAX_MESSAGES', async () => {
      const room = freshRoom();
      const writer = track(await cluster.connect(0));
      await writer.request({ type: 'join', room }, isType('joined'));
      await sendMany(writer, room, 35);
      const back = track(await cluster.connect(1));
      const joined = await back.request({ type: 'join', room, since: 1 }, isType('joined'));
      expect(joined.recovered).toBe(false);
      const history = joined.history as Array<{ seq: number }>;
      expect(history.at(-1)!.seq).toBe(35);
      expect(history.map((m) => m.seq)).toEqual([...history.map((m) => m.seq)].sort((a, b) => a - b));
    });

    it('pages history across the recent history and the durable log, both ways', async () => {
      const room = freshRoom();
      const writer = track(await cluster.connect(0));
      await writer.request({ type: 'join', room }, isType('joined'));
      await sendMany(writer, room, 25);
      await persisted(room, 25);
      const seqs = (r: { body: { messages: Array<Record<string, unknown>> } }) => r.body.messages.map((m) => m.seq);
      const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => from - i);

      const newest = await history(0, room, '?limit=15');
      expect(seqs(newest)).toEqual(range(25, 11));
      const older = await history(1, room, `?limit=15&before=${newest.body.nextBefore}`);
      expect(seqs(older)).toEqual(range(10, 1));
      expect(older.body.nextBefore).toBeNull();

      const forward = await history(0, room, '?after=5&limit=7');
      expect(seqs(forward)).toEqual(range(12, 6));
      expect(forward.body.nextAfter).toBe(12);
      const next = await history(1, room, `?after=${forward.body.nextAfter}&limit=100`);
      expect(seqs(next)).toEqual(range(25, 13));
      expect(seqs(await history(0, room, '?after=20&before=23'))).toEqual([22, 21]);
      expect((await history(0, room, '?after=20&before=21')).status).toBe(400);
    });
  });

  describe('fan-out', () => {
    it('batches a busy room into `batch` frames, each message once and in seq order', async () => {
      const batching = await new ChatCluster(engine, { ...suiteEnv, BATCH_WINDOW_MS: '30', BATCH_MIN_RATE: '5' }).start(2);
      try {
        const room = freshRoom();
        const writer = await batching.connect(0);
        const viewer = await batching.connect(1);
        await writer.request({ type: 'join', room }, isType('joined'));
        await viewer.request({ type: 'join', room }, isType('joined'));
        // The rate is measured per second: keep sending until the room is batched (bounded).
        let sent = 0;
        const deadline = Date.now() + 8_000;
        while (viewer.all(isType('batch')).length === 0 && Date.now() < deadline && sent < 2_000) {
          for (let i = 0; i < 10; i++) writer.send({ type: 'send', room, text: `b${sent}`, nonce: `b${sent++}` });
          await writer.collect(isType('ack'), sent);
        }
        const batches = viewer.all(isType('batch'));
        expect(batches.length).toBeGreaterThan(0);
        for (const b of batches) expect(serverFrame.Check(b), JSON.stringify(b).slice(0, 200)).toBe(true);
        await waitFor(() => deliveredSeqs(viewer).length === sent, { message: 'every message delivered' });
        expect(deliveredSeqs(viewer)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
        writer.close();
        viewer.close();
      } finally {
        await batching.stop();
      }
    });

    it('closes a slow consumer with 4508 instead of buffering without bound', async () => {
      const tight = await new ChatCluster(engine, { ...suiteEnv, MAX_BUFFERED_BYTES: String(64 * 1024) }).start(1);
      try {
        const room = freshRoom();
        const writer = await tight.connect(0);
        const stalled = await tight.connect(0);
        await writer.request({ type: 'join', room }, isType('joined'));
        await stalled.request({ type: 'join', room }, isType('joined'));
        // Stop reading: the kernel buffers fill, then the server's.
        (stalled.socket as unknown as { _socket: { pause(): void } })._socket.pause();
        const text = 'x'.repeat(480);
        let closed: { code: number } | undefined;
        void stalled.closed.then((c) => (closed = c));
        const app = tight.nodes[0]!.app;
        const slow = async () => (await app.inject({ url: '/metrics' })).body.match(/^chatorbit_ws_slow_consumers_total\S* (\d+)/m)?.[1];
        for (let sent = 0; sent < 40_000 && (await slow()) !== '1'; ) {
          for (let i = 0; i < 500; i++, sent++) writer.send({ type: 'send', room, text, nonce: `s${sent}` });
          await writer.collect(isType('ack'), sent);
        }
        expect(await slow()).toBe('1');
        (stalled.socket as unknown as { _socket: { resume(): void } })._socket.resume();
        await waitFor(() => closed, { timeoutMs: 10_000, message: 'the slow consumer to see its close frame' });
        expect(closed!.code).toBe(4508);
        writer.close();
      } finally {
        await tight.stop();
      }
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
      const extra = await new ChatCluster(engine, suiteEnv).start(1);
      const c = await extra.connect(0);
      await c.request({ type: 'join', room: freshRoom() }, isType('joined'));
      const closing = extra.stop();
      expect(await c.waitClosed()).toEqual({ code: 1001, reason: 'server shutting down' });
      await closing;
      expect(c.socket.readyState).toBe(WebSocket.CLOSED);
    });
  });
}
