import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createTokenSigner, type TokenSigner } from '@chatorbit/shared';
import { freePort, spawnService, TestClient, waitFor, type ServiceProcess } from '@chatorbit/shared/testing';

const chatMain = fileURLToPath(new URL('./main.ts', import.meta.url));
const settings = { issuer: 'chatorbit', audience: 'chatorbit' };
const HEARTBEAT_MS = 200;

let signer: TokenSigner;
let jwks: Server;
let jwksUrl: string;
const nodes: ServiceProcess[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  signer = await createTokenSigner(settings);
  const port = await freePort();
  jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(signer.jwks())));
  await new Promise<void>((resolve) => jwks.listen(port, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${port}/.well-known/jwks.json`;
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const node of nodes) await node.stop('SIGKILL');
  jwks.close();
});

const userId = (n: number) => n.toString(16).padStart(24, '0');
const guestId = (n: number) => `f${n.toString(16).padStart(23, '0')}`;
const token = (id: string, guest = false) => signer.sign({ userId: id, name: `${guest ? 'guest' : 'user'}-${id.slice(-3)}`, roles: guest ? ['guest'] : [] }, 600);

it('sums presence over three chat nodes and drops exactly a SIGKILLed node\'s clients within the TTL', async () => {
  const id = `${process.pid}_${Date.now().toString(36)}`;
  const env = {
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: `presence-${id}`,
    AUTH_JWKS_URL: jwksUrl,
    PRESENCE_HEARTBEAT_MS: String(HEARTBEAT_MS),
    PRESENCE_INTERVAL_MS: '300',
    PRESENCE_MEMBER_LIST_MAX: '20',
    MAX_FRAMES_PER_SEC: '100000',
  };
  for (let i = 0; i < 3; i++) nodes.push(await spawnService(chatMain, { ...env, NODE_ID: `node-${i}` }));
  const ws = nodes.map((n) => `${n.url.replace('http', 'ws')}/ws`);
  const join = async (node: number, room: string, id: string, guest = false) => {
    const client = await TestClient.connect(`${ws[node]}?token=${await token(id, guest)}`);
    clients.push(client);
    await client.request({ type: 'join', room }, (f) => f.type === 'joined');
    return client;
  };
  const reader = await token(guestId(999), true);
  const get = async (node: number, path: string) => {
    const res = await fetch(`${nodes[node]!.url}${path}`, { headers: { authorization: `Bearer ${reader}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  // "stream" (54 viewers, over the member-list size):
  //   node 0: users 1–10 and guests 1–2 (12); node 1: users 11–25 and user 1 again (16);
  //   node 2, to be killed: users 26–45, user 26 again and guests 3–7 (26).
  const stream = 'stream';
  const observer = await join(0, stream, userId(1));
  for (let n = 2; n <= 10; n++) await join(0, stream, userId(n));
  for (const n of [1, 2]) await join(0, stream, guestId(n), true);
  for (let n = 11; n <= 25; n++) await join(1, stream, userId(n));
  await join(1, stream, userId(1));
  for (let n = 26; n <= 45; n++) await join(2, stream, userId(n));
  await join(2, stream, userId(26));
  for (let n = 3; n <= 7; n++) await join(2, stream, guestId(n), true);

  // "backstage" (small): its owner on node 0, user 1 on nodes 1 and 2, guest 8 on node 2.
  const backstage = 'backstage';
  const owner = userId(500);
  const created = await fetch(`${nodes[0]!.url}/api/v1/rooms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await token(owner)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ room: backstage }),
  });
  expect(created.status).toBe(201);
  await join(0, backstage, owner);
  await join(1, backstage, userId(1));
  await join(2, backstage, userId(1));
  await join(2, backstage, guestId(8), true);

  const presenceIs = (room: string, expected: Record<string, number>, timeoutMs = 5_000) =>
    waitFor(
      async () => {
        for (const node of [0, 1]) expect((await get(node, `/api/v1/rooms/${room}/presence`)).body).toEqual({ room, ...expected });
        return true;
      },
      { timeoutMs, message: `presence of ${room} to be ${JSON.stringify(expected)}` },
    );

  // Users in a big room are summed per node: user 1 (on nodes 0 and 1) counts twice, 46 for 45 people.
  await presenceIs(stream, { viewers: 54, users: 46, guests: 7 });
  // In a small room people are counted once: user 1 is on nodes 1 and 2.
  await presenceIs(backstage, { viewers: 4, users: 2, guests: 1 });
  const members = await get(2, `/api/v1/rooms/${backstage}/members`);
  expect(members.body).toEqual({
    room: backstage,
    viewers: 4,
    members: [
      { userId: userId(1), name: 'user-001', guest: false, role: null },
      { userId: owner, name: 'user-1f4', guest: false, role: 'owner' },
      { userId: guestId(8), name: 'guest-008', guest: true, role: null },
    ],
    nextCursor: null,
  });
  expect((await get(1, `/api/v1/rooms/${stream}/members`)).status).toBe(409);
  await waitFor(async () => {
    expect((await get(1, '/api/v1/rooms')).body).toEqual({
      rooms: [
        { room: stream, viewers: 54, users: 46, guests: 7 },
        { room: backstage, viewers: 4, users: 3, guests: 1 },
      ],
      total: 2,
      nextCursor: null,
    });
    return true;
  }, { message: 'the room list' });
  await observer.next((f) => f.type === 'presence' && f.room === stream && f.viewers === 54, 5_000);

  const killedAt = Date.now();
  await nodes[2]!.stop('SIGKILL');
  // The TTL is three heartbeats: the dead node's 26 + 2 sockets leave the counts, nothing else does.
  await presenceIs(stream, { viewers: 28, users: 26, guests: 2 }, 10_000);
  const droppedIn = Date.now() - killedAt;
  await presenceIs(backstage, { viewers: 2, users: 2, guests: 0 });
  expect((await get(0, `/api/v1/rooms/${backstage}/members`)).body.members).toEqual([
    { userId: userId(1), name: 'user-001', guest: false, role: null },
    { userId: owner, name: 'user-1f4', guest: false, role: 'owner' },
  ]);
  await waitFor(async () => {
    expect((await get(0, '/api/v1/rooms')).body.rooms).toEqual([
      { room: stream, viewers: 28, users: 26, guests: 2 },
      { room: backstage, viewers: 2, users: 2, guests: 0 },
    ]);
    return true;
  }, { message: 'the room list without the dead node' });
  await observer.next((f) => f.type === 'presence' && f.room === stream && f.viewers === 28, 5_000);
  console.log(`presence dropped the SIGKILLed node's 28 sockets ${droppedIn} ms after the kill (TTL ${3 * HEARTBEAT_MS} ms)`);
  // The survivors' sockets were not disturbed.
  expect(clients.filter((c) => c.socket.readyState === c.socket.OPEN)).toHaveLength(12 + 16 + 2);
}, 60_000);
