import { afterAll, describe, expect, inject, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import { createRedis, createTokenVerifier, loadConfig, MongoUserStore } from '@chatorbit/shared';
import { TestClient, waitFor } from '@chatorbit/shared/testing';
import { buildChatApp, chatConfigSchema, createChatEngine, type ChatEngine } from '@chatorbit/chat';
import { startStandalone, type Standalone } from './standalone.ts';

/**
 * The gateway playing host to the original frontend (COMPAT.md): the requests and frames below are
 * the ones that frontend sends, from its own origin, next to a v1 client in the same rooms.
 */
const FRONTEND = 'http://localhost:5173';
type Frame = Record<string, unknown>;

interface Setup {
  gateway: Standalone;
  /** Where the v1 client connects: the gateway, or (on Redis) a second chat node. */
  nativeWs: string;
  close(): Promise<void>;
}

const memory = async (): Promise<Setup> => {
  const gateway = await startStandalone({ LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', CORS_ORIGINS: FRONTEND });
  return { gateway, nativeWs: `${gateway.url.replace('http', 'ws')}/ws`, close: () => gateway.close() };
};

/** Redis + MongoDB, with the v1 client on a second chat node: the two protocols meet over Redis. */
const redis = async (): Promise<Setup> => {
  const id = `compat_e2e_${process.pid}_${Date.now().toString(36)}`;
  const backends = { REDIS_URL: inject('redisUrl'), MONGO_URL: inject('mongoUrl'), MONGO_DB: id, REDIS_PREFIX: id };
  const gateway = await startStandalone({ LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', CORS_ORIGINS: FRONTEND, ...backends });
  const mongo = await new MongoClient(backends.MONGO_URL).connect();
  const config = loadConfig(chatConfigSchema, { LOG_LEVEL: 'silent', ...backends });
  let engine: ChatEngine | undefined;
  let node: FastifyInstance | undefined;
  try {
    engine = await createChatEngine(config, 'node-2', { redis: (role) => createRedis(backends.REDIS_URL, `node-2-${role}`), db: mongo.db(id) });
    const verifier = createTokenVerifier({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }, new URL(`${gateway.url}/.well-known/jwks.json`));
    node = await buildChatApp(config, { nodeId: 'node-2', verifier, users: new MongoUserStore(mongo.db(id)), ...engine });
    await node.listen({ host: '127.0.0.1', port: 0 });
  } catch (err) {
    await node?.close();
    await engine?.close();
    await gateway.close();
    await mongo.close();
    throw err;
  }
  return {
    gateway,
    nativeWs: `ws://127.0.0.1:${(node.server.address() as AddressInfo).port}/ws`,
    close: async () => {
      await node!.close();
      await engine!.close();
      await gateway.close();
      await mongo.db(id).dropDatabase();
      await mongo.close();
    },
  };
};

describe.each([
  ['the in-memory engine', memory],
  ['Redis and MongoDB, the v1 client on another chat node', redis],
])("the original frontend through the gateway, on %s", (_name, start) => {
  let setup: Setup;
  const clients: TestClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    await setup?.close();
  });

  const account = async (username: string) => {
    const url = setup.gateway.url;
    const body = { username, email: `${username}@example.test`, password: `${username} password 1` };
    const headers = { 'content-type': 'application/json' };
    expect((await fetch(`${url}/api/v1/auth/signup`, { method: 'POST', headers, body: JSON.stringify(body) })).status).toBe(201);
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers, body: JSON.stringify({ login: username, password: body.password }) });
    const { accessToken, user } = (await login.json()) as { accessToken: string; user: { id: string } };
    return { id: user.id, token: accessToken };
  };
  /** Signs up and logs in exactly as the frontend does: POST /register, POST /login {email, password}. */
  const frontendAccount = async (username: string) => {
    const body = { email: `${username}@example.test`, username, password: `${username} password 1` };
    const registered = await fromFrontend('/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect([registered.status, await registered.json()]).toEqual([200, { message: 'Registration successful' }]);
    const login = await fromFrontend('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: body.email, password: body.password }) });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toBe(`token=${token}`);
    // The frontend reads its id from the payload with atob + JSON.parse.
    const payload = JSON.parse(atob(token.split('.')[1]!)) as { user_id: string; username: string; email: string };
    expect(payload).toMatchObject({ username, email: body.email, user_id: expect.stringMatching(/^[0-9a-f]{24}$/) });
    return { id: payload.user_id, token, cookie };
  };
  const connect = async (url: string) => {
    const client = await TestClient.connect(url);
    clients.push(client);
    return client;
  };
  const fromFrontend = (path: string, init: RequestInit = {}) =>
    fetch(`${setup.gateway.url}${path}`, { ...init, headers: { origin: FRONTEND, ...(init.headers as Record<string, string>) } });
  const isCompat = (content: string) => (f: Frame) => f.content === content && f.error === undefined;
  const isErrorFrame = (code: string) => (f: Frame) => f.code === code && typeof f.error === 'string';

  it('registers and logs in with the cookie, chats across protocols, switches rooms by frame, reads history without a token, survives bad frames, changes the password and logs out', async () => {
    setup = await start();
    const gatewayWs = setup.gateway.url.replace('http', 'ws');
    const [alice, bob] = [await frontendAccount('alice'), await account('bob')];

    // The frontend opens its socket with no room: it is in general.
    const viewer = await connect(`${gatewayWs}/ws/chat?token=${alice.token}`);
    const native = await connect(`${setup.nativeWs}?token=${bob.token}`);
    await native.request({ type: 'join', room: 'general' }, (f) => f.type === 'joined');
    let probe = 0;
    await waitFor(async () => {
      const text = `is anyone in general? ${++probe}`;
      await native.request({ type: 'send', room: 'general', text, nonce: `p${probe}` }, (f) => f.type === 'ack');
      return viewer.next(isCompat(text), 300).then(() => true, () => false);
    }, { message: 'the compat socket in general', timeoutMs: 10_000 });
    const inGeneral = viewer.all((f) => typeof f.content === 'string').at(-1)!;
    expect(inGeneral).toEqual({ id: expect.stringMatching(/^[0-9a-f]{24}$/), room_id: 'general', user_id: bob.id, content: `is anyone in general? ${probe}`, timestamp: expect.any(String) });

    // It names r2 in its first frame: moved there, then posted; the v1 member of r2 gets it.
    await native.request({ type: 'join', room: 'r2' }, (f) => f.type === 'joined' && f.room === 'r2');
    viewer.send({ room_id: 'r2', content: 'hello r2' });
    const seen = await native.next((f) => f.type === 'message' && f.room === 'r2');
    expect(seen).toMatchObject({ text: 'hello r2', user: { id: alice.id, name: 'alice' } });
    const echo = await viewer.next(isCompat('hello r2'));
    expect(echo).toEqual({ id: seen.id, room_id: 'r2', user_id: alice.id, content: 'hello r2', timestamp: new Date(seen.ts as number).toISOString() });
    const ack = await native.request({ type: 'send', room: 'r2', text: 'welcome', nonce: 'w1' }, (f) => f.type === 'ack');
    expect(await viewer.next(isCompat('welcome'))).toEqual({ id: ack.id, room_id: 'r2', user_id: bob.id, content: 'welcome', timestamp: expect.any(String) });

    // Bad frames: an error frame each (carrying the viewer's own id, so the frontend drops it), nothing posted, socket usable.
    for (const [frame, code] of [
      ['hello?', 'invalid_json'],
      [{ room_id: 'r2' }, 'invalid_frame'],
      [{ room_id: 'r2', content: 'x'.repeat(70_000) }, 'frame_too_large'],
    ] as const) {
      expect(await viewer.request(frame, isErrorFrame(code))).toMatchObject({ room_id: 'r2', user_id: alice.id });
    }
    viewer.send({ room_id: 'r2', content: 'after the bad ones' });
    await native.next((f) => f.type === 'message' && f.text === 'after the bad ones');

    // History, from the frontend's origin, without a token: newest first, in the original shape.
    const history = await fromFrontend('/chat/history/r2');
    expect(history.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(history.headers.get('access-control-allow-credentials')).toBe('true');
    const messages = (await history.json()) as Frame[];
    expect(messages.map((m) => [m.content, m.user_id])).toEqual([
      ['after the bad ones', alice.id],
      ['welcome', bob.id],
      ['hello r2', alice.id],
    ]);
    expect(messages[2]).toEqual(echo);
    expect(await (await fromFrontend('/chat/history/nobody-here')).json()).toEqual([]);

    // The names behind user ids, with credentials (the `token` cookie login sets).
    const pre = await fromFrontend(`/user/${bob.id}`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } });
    expect([pre.status, pre.headers.get('access-control-allow-origin'), pre.headers.get('access-control-allow-credentials')]).toEqual([204, FRONTEND, 'true']);
    const who = await fromFrontend(`/user/${bob.id}`, { headers: { cookie: alice.cookie } });
    expect(await who.json()).toEqual({ id: bob.id, name: 'bob', email: 'bob@example.test' });
    const anonymous = await fromFrontend(`/user/${bob.id}`);
    expect([anonymous.status, typeof ((await anonymous.json()) as { error: unknown }).error]).toEqual([401, 'string']);

    // POST /chat/rooms, idempotent.
    for (let i = 0; i < 2; i++) {
      const res = await fromFrontend('/chat/rooms', { method: 'POST', headers: { 'content-type': 'application/json', cookie: alice.cookie }, body: JSON.stringify({ room_id: 'r3' }) });
      expect([res.status, await res.json()]).toEqual([200, { room_id: 'r3' }]);
    }

    // Change the password with the cookie, then log out: the cookie is cleared.
    const changed = await fromFrontend('/change-password', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: alice.cookie },
      body: JSON.stringify({ old_password: 'alice password 1', new_password: 'alice password 2' }),
    });
    expect(changed.status).toBe(200);
    const relogin = await fromFrontend('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'alice@example.test', password: 'alice password 2' }) });
    expect(relogin.status).toBe(200);
    const out = await fromFrontend('/logout', { method: 'POST', headers: { cookie: relogin.headers.get('set-cookie')!.split(';')[0]! } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^token=;/);
  });
});
