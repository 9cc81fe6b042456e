import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { spawnService, TestClient, waitFor, type ServiceProcess } from '@chatorbit/shared/testing';

const standaloneMain = fileURLToPath(new URL('./main.ts', import.meta.url));
const chatMain = fileURLToPath(new URL('../../chat/src/main.ts', import.meta.url));

interface Body {
  user: { id: string; username: string };
  accessToken: string;
  messages: Array<{ id: string; seq: number; text: string }>;
}
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Body });
const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(json);

/** The README's walk-through: two users sign up, log in, and chat in room r1 through the gateway. */
async function signUpAndLogIn(gateway: string, username: string) {
  const signup = await post(`${gateway}/api/v1/auth/signup`, { username, email: `${username}@example.test`, password: 'correct horse battery' });
  expect(signup.status).toBe(201);
  expect(signup.body.user.id).toMatch(/^[0-9a-f]{24}$/);
  const login = await post(`${gateway}/api/v1/auth/login`, { login: username, password: 'correct horse battery' });
  expect(login.status).toBe(200);
  return { id: signup.body.user.id, token: login.body.accessToken };
}

const isType = (type: string) => (f: Record<string, unknown>) => f.type === type;
const processes: ServiceProcess[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const p of processes.splice(0)) await p.stop('SIGKILL');
});

describe('pnpm start (all services in one process, in-memory engine)', () => {
  it('signs up, logs in, chats over the gateway socket and reads history', async () => {
    const app = await spawnService(standaloneMain, {});
    processes.push(app);
    const ws = app.url.replace('http', 'ws');
    const alice = await signUpAndLogIn(app.url, 'alice');
    const bob = await signUpAndLogIn(app.url, 'bob');

    const me = await json(await fetch(`${app.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${bob.token}` } }));
    expect(me.body).toMatchObject({ id: bob.id, username: 'bob' });

    const a = await TestClient.connect(`${ws}/ws?token=${alice.token}`);
    const b = await TestClient.connect(`${ws}/ws`, { authorization: `Bearer ${bob.token}` });
    clients.push(a, b);
    await a.request({ type: 'join', room: 'r1' }, isType('joined'));
    await b.request({ type: 'join', room: 'r1' }, isType('joined'));
    const ack = await a.request({ type: 'send', room: 'r1', text: 'hi bob', nonce: '1' }, isType('ack'));
    expect(await b.next(isType('message'))).toMatchObject({ id: ack.id, text: 'hi bob', user: { id: alice.id, name: 'alice' } });

    const history = await json(await fetch(`${app.url}/api/v1/rooms/r1/messages`, { headers: { authorization: `Bearer ${bob.token}` } }));
    expect(history.status).toBe(200);
    expect(history.body.messages).toEqual([expect.objectContaining({ id: ack.id, seq: 1, text: 'hi bob' })]);

    // Presence and the room list through the gateway.
    const bobGets = async (path: string) => (await fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${bob.token}` } })).json();
    expect(await bobGets('/api/v1/rooms/r1/presence')).toEqual({ room: 'r1', viewers: 2, users: 2, guests: 0 });
    expect(await bobGets('/api/v1/rooms')).toEqual({ rooms: [{ room: 'r1', viewers: 2, users: 2, guests: 0 }], total: 1, nextCursor: null });

    // A socket without a token is closed with 4401 through the gateway too.
    expect((await new TestClient(`${ws}/ws`).waitClosed()).code).toBe(4401);

    // SIGTERM: clients are told to go away, the process exits cleanly.
    const stopped = app.stop('SIGTERM');
    expect((await a.waitClosed()).code).toBe(1001);
    expect(await stopped).toBe(0);
  });

  it('makes the configured admin, whose global ban through the gateway reaches the socket', async () => {
    const app = await spawnService(standaloneMain, { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'a long admin secret' });
    processes.push(app);
    const login = await post(`${app.url}/api/v1/auth/login`, { login: 'root', password: 'a long admin secret' });
    expect(login.status).toBe(200);
    const admin = login.body.accessToken;
    const carol = await signUpAndLogIn(app.url, 'carol');
    const socket = await TestClient.connect(`${app.url.replace('http', 'ws')}/ws?token=${carol.token}`);
    clients.push(socket);
    await socket.request({ type: 'join', room: 'r1' }, isType('joined'));
    const authed = (method: string, body?: unknown) => ({
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const ban = await fetch(`${app.url}/api/v1/bans`, authed('POST', { userId: carol.id, reason: 'raid' }));
    expect(ban.status).toBe(201);
    expect(await socket.next(isType('banned'))).toMatchObject({ room: 'r1', until: null, reason: 'raid' });
    expect((await fetch(`${app.url}/api/v1/ratelimit`, authed('GET'))).status).toBe(200);
    const audit = await fetch(`${app.url}/api/v1/audit`, authed('GET'));
    expect(((await audit.json()) as { entries: Array<{ action: string }> }).entries[0]?.action).toBe('ban');
  });

  it('refuses to start with a bad variable, naming it', async () => {
    await expect(spawnService(standaloneMain, { PORT: '1', MAX_FRAME_BYTES: 'lots' }, 10_000)).rejects.toThrow(
      /invalid configuration: MAX_FRAME_BYTES/,
    );
  });
});

describe('on Redis and MongoDB: two chat instances share one Redis', () => {
  const id = `${process.pid}_${Date.now().toString(36)}`;
  const mongoUrl = inject('mongoUrl');
  const dbName = `e2e_${id}`;
  afterAll(async () => {
    const mongo = await new MongoClient(mongoUrl).connect();
    await mongo.db(dbName).dropDatabase();
    await mongo.close();
  });

  it('delivers across instances and keeps every message in MongoDB', async () => {
    const backends = { REDIS_URL: inject('redisUrl'), MONGO_URL: mongoUrl, MONGO_DB: dbName, REDIS_PREFIX: `e2e-${id}` };
    const app = await spawnService(standaloneMain, backends);
    processes.push(app);
    const chat2 = await spawnService(chatMain, { ...backends, AUTH_JWKS_URL: `${app.url}/.well-known/jwks.json`, NODE_ID: 'chat-2' });
    processes.push(chat2);

    const alice = await signUpAndLogIn(app.url, 'alice');
    const bob = await signUpAndLogIn(app.url, 'bob');
    // Duplicate usernames are refused by MongoDB's unique index.
    expect((await post(`${app.url}/api/v1/auth/signup`, { username: 'ALICE', email: 'x@example.test', password: 'another password' })).status).toBe(409);

    const a = await TestClient.connect(`${app.url.replace('http', 'ws')}/ws?token=${alice.token}`); // via the gateway to chat 1
    const b = await TestClient.connect(`${chat2.url.replace('http', 'ws')}/ws?token=${bob.token}`); // straight to chat 2
    clients.push(a, b);
    await a.request({ type: 'join', room: 'r1' }, isType('joined'));
    await b.request({ type: 'join', room: 'r1' }, isType('joined'));
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      const from = i % 2 ? b : a;
      sent.push((await from.request({ type: 'send', room: 'r1', text: `m${i}`, nonce: `n${i}` }, isType('ack'))).id as string);
    }
    for (const c of [a, b]) expect((await c.collect(isType('message'), 10)).map((m) => m.id).sort()).toEqual([...sent].sort());

    // History read back from MongoDB, through either instance.
    const viaChat2 = await json(await fetch(`${chat2.url}/api/v1/rooms/r1/messages?limit=100`, { headers: { authorization: `Bearer ${bob.token}` } }));
    expect(viaChat2.body.messages.map((m) => m.text)).toEqual(['m9', 'm8', 'm7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1', 'm0']);
    const mongo = await new MongoClient(mongoUrl).connect();
    try {
      // The persisters write asynchronously (within ~50 ms): wait for all ten.
      const messages = mongo.db(dbName).collection('messages');
      await waitFor(async () => (await messages.countDocuments({ room: 'r1' })) === sent.length, { message: 'the messages in MongoDB' });
      const docs = await messages.find({ room: 'r1' }).sort({ seq: 1 }).toArray();
      expect(docs.map((d) => d._id)).toEqual(sent);
      expect(await mongo.db(dbName).collection('users').countDocuments()).toBe(2);
    } finally {
      await mongo.close();
    }

    const stopped = chat2.stop('SIGTERM');
    expect((await b.waitClosed()).code).toBe(1001);
    expect(await stopped).toBe(0);
  });
});
