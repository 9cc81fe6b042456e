import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleValue, scrapeMetrics, TestClient, waitFor, type Closed } from '@chatorbit/shared/testing';
import { ChatCluster, isType, randomUserId, type Engine } from './harness.ts';

/** A fresh client address per test: each has its own counts and bucket. */
let addressCounter = 0;
const freshAddress = () => `203.0.113.${(++addressCounter % 250) + 1}`;

/**
 * The per-node connection limits (/ws and /ws/chat counted together), with real sockets: open
 * sockets per client address and per account, handshakes per second per address, rooms per
 * socket. Every refusal has its close code or error frame, and is counted in /metrics. The
 * sockets come from 127.0.0.1, a trusted proxy, naming their client address in X-Forwarded-For,
 * as the gateway and an ingress do.
 */
export function limitsBehaviour(makeEngine: () => Promise<Engine>) {
  const clients: TestClient[] = [];
  const track = <T extends TestClient>(c: T) => (clients.push(c), c);
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  /** Opens a socket (/ws, or /ws/chat) as `userId` from `address`; resolves once it is open. */
  const open = (cluster: ChatCluster, opts: { address: string; userId?: string; token?: string; compat?: boolean }) => {
    const url = (token: string) =>
      opts.compat ? `${cluster.nodes[0]!.url.replace('http', 'ws')}/ws/chat?token=${token}&room_id=lobby` : `${cluster.nodes[0]!.wsUrl}?token=${token}`;
    return (opts.token !== undefined ? Promise.resolve(opts.token) : cluster.token(opts.userId ?? randomUserId(), 'someone')).then((token) =>
      track(new TestClient(url(token), { 'x-forwarded-for': opts.address })),
    );
  };
  /** A socket that was accepted answers: a ping gets its pong (/ws), a post comes back (/ws/chat). */
  let posts = 0;
  const expectAdmitted = async (client: TestClient, compat = false) => {
    await client.opened;
    if (!compat) expect(await client.request({ type: 'ping' }, isType('pong'))).toEqual({ type: 'pong' });
    else {
      const content = `still here ${++posts}`;
      expect(await client.request({ content }, (f) => f.content === content)).toMatchObject({ room_id: 'lobby', content });
    }
  };
  const metric = async (cluster: ChatCluster, name: string, labels: Record<string, string> = {}) =>
    sampleValue((await scrapeMetrics(cluster.nodes[0]!.url)).samples, name, labels);
  /** Waits until the node has `count` sockets open (a closed socket's counts are released before the gauge moves). */
  const openSockets = (cluster: ChatCluster, count: number) =>
    waitFor(async () => (await metric(cluster, 'chatorbit_ws_connections_open')) === count, { message: `${count} open sockets` });

  describe('open sockets per address and per account, rooms per socket', () => {
    let engine: Engine;
    let cluster: ChatCluster;
    beforeAll(async () => {
      engine = await makeEngine();
      cluster = await new ChatCluster(engine, {
        MAX_CONNECTIONS_PER_IP: '3',
        MAX_CONNECTIONS_PER_USER: '2',
        HANDSHAKES_PER_SEC_PER_IP: '0',
        MAX_ROOMS_PER_CONNECTION: '3',
      }).start(1);
    });
    afterAll(async () => {
      await cluster?.stop();
      await engine?.close();
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      await openSockets(cluster, 0);
    });

    it('closes a socket past MAX_CONNECTIONS_PER_IP with 4429 before looking at its token; other addresses are not affected; a closed socket frees its place', async () => {
      const address = freshAddress();
      const refusedBefore = await metric(cluster, 'chatorbit_ws_handshake_refusals_total', { reason: 'connections_per_ip' });
      const unauthorizedBefore = await metric(cluster, 'chatorbit_ws_handshake_refusals_total', { reason: 'unauthorized' });
      // Three sockets of three accounts, /ws and /ws/chat together.
      const held = [await open(cluster, { address }), await open(cluster, { address, compat: true }), await open(cluster, { address })];
      await expectAdmitted(held[0]!);
      await expectAdmitted(held[1]!, true);
      await expectAdmitted(held[2]!);

      const closed: Closed = { code: 4429, reason: 'too many connections from this address' };
      expect(await (await open(cluster, { address })).waitClosed()).toEqual(closed);
      expect(await (await open(cluster, { address, compat: true })).waitClosed()).toEqual(closed);
      // Refused before the token is checked: a bad token gets 4429 too, not 4401.
      expect(await (await open(cluster, { address, token: 'not-a-token' })).waitClosed()).toEqual(closed);
      // IPv4-mapped, it is the same address.
      expect(await (await open(cluster, { address: `::ffff:${address}` })).waitClosed()).toEqual(closed);
      expect(await metric(cluster, 'chatorbit_ws_handshake_refusals_total', { reason: 'connections_per_ip' })).toBe(refusedBefore + 4);
      expect(await metric(cluster, 'chatorbit_ws_handshake_refusals_total', { reason: 'unauthorized' })).toBe(unauthorizedBefore);

      await expectAdmitted(await open(cluster, { address: freshAddress() }));
      held[1]!.close();
      await openSockets(cluster, 3);
      await expectAdmitted(await open(cluster, { address }));
    });

    it('counts an IPv6 client by its /64', async () => {
      const prefix = `2001:db8:${(++addressCounter).toString(16)}:1`;
      for (const host of ['1', '2', 'abcd:0:0:3']) await expectAdmitted(await open(cluster, { address: `${prefix}::${host}` }));
      expect(await (await open(cluster, { address: `${prefix}:ffff:ffff:ffff:ffff` })).waitClosed()).toMatchObject({ code: 4429 });
      await expectAdmitted(await open(cluster, { address: `2001:db8:${(++addressCounter).toString(16)}:2::1` }));
    });

    it('closes a socket past MAX_CONNECTIONS_PER_USER with 4429, from any address and either path; other accounts are not affected', async () => {
      const userId = randomUserId();
      const refusedBefore = await metric(cluster, 'chatorbit_ws_handshake_refusals_total', { reason: 'connections_per_user' });
      const first = await open(cluster, { address: freshAddress(), userId });
      const second = await open(cluster, { address: freshAddress(), userId, compat: true });
      await expectAdmitted(first);
      await expectAdmitted(second, true);
      const closed: Closed = { code: 4429, reason: 'too many connections for this account' };
      expect(await (await open(cluster, { address: freshAddress(), userId })).waitClosed()).toEqual(closed);
      expect(await (await open(cluster, { address: freshAddress(), userId, compat: true })).waitClosed()).toEqual(closed);
      expect(await metric(cluster, 'chatorbit_ws_handshake_refusals_total', { reason: 'connections_per_user' })).toBe(refusedBefore + 2);
      // The refused sockets took no place of their address.
      await openSockets(cluster, 2);
      await expectAdmitted(await open(cluster, { address: freshAddress() }));

      first.close();
      await openSockets(cluster, 2);
      await expectAdmitted(await open(cluster, { address: freshAddress(), userId }));
    });

    it('refuses a join past MAX_ROOMS_PER_CONNECTION with too_many_rooms; joining a joined room again and leaving one are fine', async () => {
      const socket = await open(cluster, { address: freshAddress() });
      await socket.opened;
      const before = await metric(cluster, 'chatorbit_ws_frame_errors_total', { code: 'too_many_rooms' });
      const refusalsBefore = await metric(cluster, 'chatorbit_refusals_total', { reason: 'too_many_rooms' });
      for (const room of ['a', 'b', 'c']) await socket.request({ type: 'join', room }, isType('joined', { room }));
      expect(await socket.request({ type: 'join', room: 'd' }, isType('error'))).toEqual({
        type: 'error',
        code: 'too_many_rooms',
        message: 'this socket is in 3 rooms, the most allowed; leave one first',
        room: 'd',
      });
      expect(await socket.request({ type: 'join', room: 'b' }, isType('joined'))).toMatchObject({ room: 'b' });
      await socket.request({ type: 'leave', room: 'a' }, isType('left'));
      expect(await socket.request({ type: 'join', room: 'd' }, isType('joined'))).toMatchObject({ room: 'd' });
      expect(await metric(cluster, 'chatorbit_ws_frame_errors_total', { code: 'too_many_rooms' })).toBe(before + 1);
      expect(await metric(cluster, 'chatorbit_refusals_total', { reason: 'too_many_rooms' })).toBe(refusalsBefore + 1);
    });
  });

  describe('handshakes per second per address', () => {
    let engine: Engine;
    let cluster: ChatCluster;
    beforeAll(async () => {
      engine = await makeEngine();
      // 1 per second, bursts of 2.
      cluster = await new ChatCluster(engine, { HANDSHAKES_PER_SEC_PER_IP: '1', MAX_CONNECTIONS_PER_IP: '0', MAX_CONNECTIONS_PER_USER: '0' }).start(1);
    });
    afterAll(async () => {
      await cluster?.stop();
      await engine?.close();
    });

    it('closes handshakes past the burst with 4429 before their token is checked; other addresses are not affected; the bucket refills', async () => {
      const address = freshAddress();
      const before = await metric(cluster, 'chatorbit_ws_handshake_refusals_total', { reason: 'handshake_rate' });
      // Eight at once with a bad token, /ws and /ws/chat: the burst (2, and at most one refilled
      // while they connect) reaches the token check (4401), the rest never does (4429).
      const attempts = await Promise.all(Array.from({ length: 8 }, (_, i) => open(cluster, { address, token: 'bad', compat: i % 2 === 1 })));
      const codes = await Promise.all(attempts.map(async (c) => (await c.waitClosed()).code));
      expect(codes.filter((c) => c !== 4401 && c !== 4429)).toEqual([]);
      expect(codes.filter((c) => c === 4401).length).toBeGreaterThanOrEqual(2);
      expect(codes.filter((c) => c === 4401).length).toBeLessThanOrEqual(3);
      const refused = codes.filter((c) => c === 4429).length;
      expect(await metric(cluster, 'chatorbit_ws_handshake_refusals_total', { reason: 'handshake_rate' })).toBe(before + refused);
      const closedEarly = attempts.find((c, i) => codes[i] === 4429)!;
      expect(await closedEarly.closed).toEqual({ code: 4429, reason: 'too many handshakes from this address; retry later' });

      await expectAdmitted(await open(cluster, { address: freshAddress() }));
      // One handshake a second comes back: retrying, one is let in again.
      const admitted = await waitFor(
        async () => {
          const client = await open(cluster, { address });
          await client.opened;
          const outcome = await Promise.race([client.closed, client.request({ type: 'ping' }, isType('pong'), 2_000)]);
          return 'code' in outcome ? undefined : client;
        },
        { timeoutMs: 10_000, intervalMs: 250, message: 'the bucket to refill' },
      );
      expect(admitted.socket.readyState).toBe(admitted.socket.OPEN);
    });
  });
}
