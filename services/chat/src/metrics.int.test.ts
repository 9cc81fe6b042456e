import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MongoClient, type Db } from 'mongodb';
import { createRedis, instrumentMongo, MongoUserStore } from '@chatorbit/shared';
import { metricFamilies, sampleValue, scrapeMetrics, waitFor, type Sample } from '@chatorbit/shared/testing';
import { ChatCluster, isType, unlimited, type Engine } from './behaviour/harness.ts';

/**
 * A scripted session on two chat nodes sharing one Redis and one MongoDB (FerretDB), then
 * /metrics of each node: every counter moved by exactly what the session did, on the node
 * where it happened.
 */
describe('chat metrics after a scripted session (2 nodes, Redis + MongoDB)', () => {
  const id = `metrics_${process.pid}_${Date.now().toString(36)}`;
  let mongo: MongoClient;
  let db: Db;
  let cluster: ChatCluster;

  beforeAll(async () => {
    // Instrumented like connectMongo's client, so MongoDB command metrics are recorded.
    mongo = await instrumentMongo(new MongoClient(inject('mongoUrl'))).connect();
    db = mongo.db(id);
    const url = inject('redisUrl');
    const engine: Engine = {
      name: 'redis',
      env: { REDIS_PREFIX: id },
      users: new MongoUserStore(db),
      clients: () => ({ redis: (role) => createRedis(url, `metrics-${role}`), db }),
      close: async () => {},
    };
    // No batch window: one frame per message, so frame counts are exact.
    cluster = await new ChatCluster(engine, { ...unlimited, BATCH_WINDOW_MS: '0' }).start(2);
  });

  afterAll(async () => {
    await cluster?.stop();
    await db?.dropDatabase();
    await mongo?.close();
  });

  const scrapeBoth = async () => Promise.all(cluster.nodes.map(async (n) => (await scrapeMetrics(n.url)).samples));
  /** Counter increase between two scrapes of one node. */
  const delta = (before: Sample[], after: Sample[], name: string, labels: Record<string, string> = {}) =>
    sampleValue(after, name, labels) - sampleValue(before, name, labels);

  it('counts connections, joins, messages, deliveries, refusals, moderation, HTTP and persistence exactly', async () => {
    const room = `r${Date.now().toString(36)}`;
    const owner = await cluster.addUser('owner');
    const [alice, bob, carol, mallory] = await Promise.all(['alice', 'bob', 'carol', 'mallory'].map((n) => cluster.addUser(n)));
    const before = await scrapeBoth();

    // The room, owned by `owner` (through node 0).
    expect((await cluster.api(0, owner.token, 'POST', '/api/v1/rooms', { room })).status).toBe(201);

    // Two sockets on each node, all in the room.
    const a = await cluster.connectAs(0, alice!);
    const m = await cluster.connectAs(0, mallory!);
    const b = await cluster.connectAs(1, bob!);
    const c = await cluster.connectAs(1, carol!);
    const everyone = [a, m, b, c];
    try {
      for (const s of everyone) await s.request({ type: 'join', room }, isType('joined'));

      // Five messages: three from node 0, two from node 1; everyone receives all five.
      for (const [s, text] of [[a, 'a1'], [a, 'a2'], [a, 'a3'], [b, 'b1'], [b, 'b2']] as const) {
        await s.request({ type: 'send', room, text, nonce: text }, isType('ack'));
      }
      for (const s of everyone) await s.next(isType('message', { text: 'b2' }), 5_000, 0);
      // A repeated nonce: acked again, nothing new.
      expect(await a.request({ type: 'send', room, text: 'a1', nonce: 'a1' }, isType('ack'))).toMatchObject({ seq: 1 });

      // Refused on node 0: a blocked term, three invalid frames.
      expect((await cluster.api(1, owner.token, 'PUT', `/api/v1/rooms/${room}/settings`, { blockedTerms: ['forbidden'] })).status).toBe(200);
      await m.next(isType('settings'));
      await m.request({ type: 'send', room, text: 'this is forbidden', nonce: 'm1' }, isType('error', { code: 'blocked_term' }));
      await m.request({ type: 'send', room, text: '   ', nonce: 'm2' }, isType('error', { code: 'invalid_text' }));
      await m.request({ type: 'send', room: 'elsewhere', text: 'hi', nonce: 'm3' }, isType('error', { code: 'not_joined' }));
      await m.request('{nope', isType('error', { code: 'invalid_json' }));

      // Rate limit (1 per hour) on node 1: carol's first message passes, her second is refused.
      expect((await cluster.api(1, owner.token, 'PUT', `/api/v1/rooms/${room}/ratelimit`, { messages: 1, perSec: 3600 })).status).toBe(200);
      await c.request({ type: 'send', room, text: 'c1', nonce: 'c1' }, isType('ack'));
      await c.request({ type: 'send', room, text: 'c2', nonce: 'c2' }, isType('error', { code: 'rate_limited' }));
      // Slow mode on node 1: bob's next message passes, the one after is refused.
      expect((await cluster.api(1, owner.token, 'PUT', `/api/v1/rooms/${room}/settings`, { slowModeSec: 3600 })).status).toBe(200);
      await b.next(isType('settings', { slowModeSec: 3600 }));
      await b.request({ type: 'send', room, text: 'b3', nonce: 'b3' }, isType('ack'));
      await b.request({ type: 'send', room, text: 'b4', nonce: 'b4' }, isType('error', { code: 'slow_mode' }));
      for (const s of everyone) await s.next(isType('message', { text: 'b3' }), 5_000, 0);

      // A ban (node 0) and a timeout (node 1); mallory's join again is refused on node 0.
      expect((await cluster.api(0, owner.token, 'POST', `/api/v1/rooms/${room}/bans`, { userId: mallory!.userId, reason: 'spam' })).status).toBe(201);
      await m.next(isType('banned'));
      await m.request({ type: 'join', room }, isType('error', { code: 'banned' }));
      expect((await cluster.api(1, owner.token, 'POST', `/api/v1/rooms/${room}/bans`, { userId: carol!.userId, durationSec: 600 })).status).toBe(201);
      await c.next(isType('banned'));

      // HTTP: one history read (200) and one without a token (401) on node 1.
      expect((await cluster.api(1, alice!.token, 'GET', `/api/v1/rooms/${room}/messages?limit=100`)).status).toBe(200);
      expect((await fetch(`${cluster.nodes[1]!.url}/api/v1/rooms/${room}/messages`)).status).toBe(401);

      // Every accepted message reaches MongoDB (the persisters run on both nodes).
      const accepted = 7; // a1 a2 a3 b1 b2 c1 b3
      await waitFor(async () => {
        const now = await scrapeBoth();
        return now.reduce((sum, s, i) => sum + delta(before[i]!, s, 'chatorbit_persister_messages_total'), 0) === accepted;
      }, { message: 'the persisters to store the 7 messages' });
      await waitFor(async () => sampleValue((await scrapeBoth())[0]!, 'chatorbit_persister_lag_entries') === 0, { message: 'an empty persistence backlog' });

      const [n0, n1] = await scrapeBoth();
      const d0 = (name: string, labels?: Record<string, string>) => delta(before[0]!, n0!, name, labels);
      const d1 = (name: string, labels?: Record<string, string>) => delta(before[1]!, n1!, name, labels);

      // Connections and rooms (gauges read now: carol and mallory were removed from the room).
      expect([d0('chatorbit_ws_connections_accepted_total'), d1('chatorbit_ws_connections_accepted_total')]).toEqual([2, 2]);
      expect([sampleValue(n0!, 'chatorbit_ws_connections_open'), sampleValue(n1!, 'chatorbit_ws_connections_open')]).toEqual([2, 2]);
      expect([d0('chatorbit_room_joins_total', { kind: 'join' }), d1('chatorbit_room_joins_total', { kind: 'join' })]).toEqual([2, 2]);
      expect([sampleValue(n0!, 'chatorbit_rooms_active'), sampleValue(n1!, 'chatorbit_rooms_active')]).toEqual([1, 1]);
      // The banned sockets leave the room as the ban arrives (mallory on node 0, carol on node 1).
      await waitFor(async () => (await scrapeBoth()).every((s) => sampleValue(s, 'chatorbit_room_members') === 1), { message: 'one member left on each node' });
      for (const s of await scrapeBoth()) {
        expect(['viewers', 'users', 'guests'].map((kind) => sampleValue(s, 'chatorbit_presence_local', { kind }))).toEqual([1, 1, 0]);
      }

      // Messages in (per sender's node), out (every node has members: all 7), deliveries (members × messages).
      expect([d0('chatorbit_messages_accepted_total'), d1('chatorbit_messages_accepted_total')]).toEqual([3, 4]);
      expect([d0('chatorbit_messages_duplicate_total'), d1('chatorbit_messages_duplicate_total')]).toEqual([1, 0]);
      expect([d0('chatorbit_messages_fanned_out_total'), d1('chatorbit_messages_fanned_out_total')]).toEqual([7, 7]);
      expect([d0('chatorbit_message_deliveries_total'), d1('chatorbit_message_deliveries_total')]).toEqual([14, 14]);
      expect([d0('chatorbit_fanout_frames_total', { kind: 'message' }), d1('chatorbit_fanout_frames_total', { kind: 'message' })]).toEqual([14, 14]);
      expect([d0('chatorbit_fanout_frames_total', { kind: 'batch' }), d1('chatorbit_fanout_frames_total', { kind: 'batch' })]).toEqual([0, 0]);
      expect([d0('chatorbit_fanout_batch_messages_count'), d0('chatorbit_fanout_batch_messages_sum')]).toEqual([7, 7]);
      // Latencies: one send→ack per ack (the repeat included), one publish→deliver per message per node.
      expect([d0('chatorbit_send_ack_duration_seconds_count'), d1('chatorbit_send_ack_duration_seconds_count')]).toEqual([4, 4]);
      expect([d0('chatorbit_publish_deliver_duration_seconds_count'), d1('chatorbit_publish_deliver_duration_seconds_count')]).toEqual([7, 7]);
      expect(d0('chatorbit_publish_deliver_duration_seconds_bucket', { le: '+Inf' })).toBe(7);

      // Refusals by reason, on the node of the refused socket.
      const reasons = ['banned', 'rate_limited', 'blocked_term', 'slow_mode', 'invalid'];
      expect(Object.fromEntries(reasons.map((reason) => [reason, d0('chatorbit_refusals_total', { reason })]))).toEqual({
        banned: 1, rate_limited: 0, blocked_term: 1, slow_mode: 0, invalid: 3,
      });
      expect(Object.fromEntries(reasons.map((reason) => [reason, d1('chatorbit_refusals_total', { reason })]))).toEqual({
        banned: 0, rate_limited: 1, blocked_term: 0, slow_mode: 1, invalid: 0,
      });
      expect(d0('chatorbit_ws_frame_errors_total', { code: 'not_joined' })).toBe(1);

      // Moderation actions, on the node that took them.
      const scope = 'room';
      expect([d0('chatorbit_moderation_actions_total', { action: 'room_create', scope }), d0('chatorbit_moderation_actions_total', { action: 'ban', scope })]).toEqual([1, 1]);
      expect([
        d1('chatorbit_moderation_actions_total', { action: 'settings_set', scope }),
        d1('chatorbit_moderation_actions_total', { action: 'ratelimit_set', scope }),
        d1('chatorbit_moderation_actions_total', { action: 'timeout', scope }),
      ]).toEqual([2, 1, 1]);
      expect(d0('chatorbit_moderation_actions_total')).toBe(2);
      expect(d1('chatorbit_moderation_actions_total')).toBe(4);

      // HTTP by route template and status (never the room in the label).
      const route = '/api/v1/rooms/:room/messages';
      expect(d1('chatorbit_http_request_duration_seconds_count', { route, method: 'GET', status_code: '200' })).toBe(1);
      expect(d1('chatorbit_http_request_duration_seconds_count', { route, method: 'GET', status_code: '401' })).toBe(1);
      expect(d0('chatorbit_http_request_duration_seconds_count', { route: '/api/v1/rooms/:room/bans', method: 'POST', status_code: '201' })).toBe(1);

      // Persistence: 7 messages in batches; no failure, no lag left.
      expect(d0('chatorbit_persister_batch_duration_seconds_count') + d1('chatorbit_persister_batch_duration_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(d0('chatorbit_persister_failures_total') + d1('chatorbit_persister_failures_total')).toBe(0);
      expect([sampleValue(n0!, 'chatorbit_persister_lag_entries'), sampleValue(n0!, 'chatorbit_persister_lag_seconds')]).toEqual([0, 0]);

      // Redis and MongoDB clients (both nodes live in this process, so these are the process's):
      // one send script per send that reached Redis (alice 4, bob 4, carol 2).
      const scripts = (s: Sample[]) =>
        sampleValue(s, 'chatorbit_redis_command_duration_seconds_count', { command: 'evalsha' }) +
        sampleValue(s, 'chatorbit_redis_command_duration_seconds_count', { command: 'eval' });
      expect(scripts(n0!) - scripts(before[0]!)).toBe(10);
      expect(d0('chatorbit_mongodb_command_duration_seconds_count', { command: 'insert' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(n0!, 'chatorbit_redis_connections_ready')).toBeGreaterThanOrEqual(6); // pub, sub, persist × 2 nodes
      expect(sampleValue(n0!, 'chatorbit_dependency_up', { dependency: 'broker' })).toBe(1);
      expect(sampleValue(n0!, 'chatorbit_dependency_up', { dependency: 'log' })).toBe(1);
      // Process metrics, event-loop lag included.
      expect(sampleValue(n0!, 'chatorbit_nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);

      // No id ever becomes a label: neither the room nor a user id appears in the exposition.
      const text = (await scrapeMetrics(cluster.nodes[0]!.url)).text + (await scrapeMetrics(cluster.nodes[1]!.url)).text;
      for (const secret of [room, alice!.userId, mallory!.userId, carol!.userId]) expect(text).not.toContain(secret);
    } finally {
      for (const s of everyone) s.close();
    }
    // Closed sockets leave the gauges.
    await waitFor(async () => (await scrapeBoth()).every((s) => sampleValue(s, 'chatorbit_ws_connections_open') === 0 && sampleValue(s, 'chatorbit_rooms_active') === 0), {
      message: 'the connection and room gauges to drop to 0',
    });
  });

  it('declares metric names that follow the conventions', async () => {
    const { text } = await scrapeMetrics(cluster.nodes[0]!.url);
    const families = [...metricFamilies(text)].filter(([name]) => !/^chatorbit_(nodejs|process)_/.test(name)); // prom-client's own
    expect(families.length).toBeGreaterThan(20);
    for (const [name, type] of families) {
      expect(name).toMatch(/^chatorbit_[a-z0-9_]+$/);
      if (type === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      // Base units: seconds and bytes, never milliseconds.
      expect(name).not.toMatch(/_(ms|milliseconds|minutes|kb|mb)(_|$)/);
    }
  });
});
