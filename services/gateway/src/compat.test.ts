import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@chatorbit/shared/testing';
import { startFakeUpstream, startGateway, type FakeUpstream, type Gateway } from './testing/harness.ts';

/** The original frontend's routes on the gateway (COMPAT.md), against fake upstreams. */
const FRONTEND = 'http://localhost:5173';
const ID = '665f1c2e9b1e8a3d4c5b6a70';

let auth: FakeUpstream;
let user: FakeUpstream;
let chat: FakeUpstream;
let gateway: Gateway;
const started: Gateway[] = [];

async function gatewayWith(env: Record<string, string>): Promise<Gateway> {
  const g = await startGateway({ AUTH_URL: auth.url, USER_URL: user.url, CHAT_URL: chat.url, ...env });
  started.push(g);
  return g;
}

beforeAll(async () => {
  [auth, user, chat] = await Promise.all([startFakeUpstream('auth'), startFakeUpstream('user'), startFakeUpstream('chat')]);
  gateway = await gatewayWith({ CORS_ORIGINS: `${FRONTEND}, http://other.example` });
});

afterAll(async () => {
  await Promise.all(started.map((g) => g.app.close()));
  await Promise.all([auth, user, chat].map((u) => u?.stop()));
});

const json = (method: string, body: unknown, headers: Record<string, string> = {}) => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

describe("the original frontend's routes", () => {
  it.each([
    ['auth', '/register', { email: 'a@example.com', username: 'alice', password: 'secret1' }],
    ['auth', '/login', { email: 'a@example.com', password: 'secret1' }],
    ['auth', '/change-password', { old_password: 'secret1', new_password: 'secret2' }],
    ['auth', '/logout', undefined],
    ['chat', '/chat/rooms', { room_id: 'r2' }],
  ])('POST %s%s reaches its service with the body and cookie unchanged', async (service, path, body) => {
    const upstream = { auth, chat }[service]!;
    const res = await fetch(gateway.http + path, {
      method: 'POST',
      headers: { cookie: 'token=eyJ.payload.sig', ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ service, method: 'POST', url: path });
    const seen = upstream.requests.at(-1)!;
    expect(seen.headers.cookie).toBe('token=eyJ.payload.sig');
    expect(seen.body.toString()).toBe(body ? JSON.stringify(body) : '');
  });

  it.each([
    ['user', `/user/${ID}`],
    ['chat', '/chat/history/general'],
    ['chat', '/chat/rooms/general/presence'],
  ])('GET %s%s reaches its service', async (service, path) => {
    const res = await fetch(gateway.http + path);
    expect(await res.json()).toEqual({ service, method: 'GET', url: path });
  });

  it('passes the Set-Cookie of /login back to the browser', async () => {
    auth.responseHeaders = { 'set-cookie': 'token=eyJ.new.sig; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400' };
    try {
      const res = await fetch(`${gateway.http}/login`, json('POST', { email: 'a@example.com', password: 'secret1' }, { origin: FRONTEND }));
      expect(res.headers.get('set-cookie')).toBe('token=eyJ.new.sig; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400');
      expect(res.headers.get('access-control-allow-origin')).toBe(FRONTEND);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    } finally {
      auth.responseHeaders = {};
    }
  });

  it('routes the auth paths exactly, not what merely starts like them', async () => {
    const before = auth.requests.length;
    for (const path of ['/loginx', '/login/extra', '/registered', '/users/x', '/chatroom']) {
      const res = await fetch(gateway.http + path, { method: 'POST' });
      expect(res.status, path).toBe(404);
    }
    expect(auth.requests.length).toBe(before);
  });

  it('answers its own errors there as { error: "<string>" }, and keeps { error: { code, message } } on v1 routes', async () => {
    const down = await gatewayWith({ AUTH_URL: `http://127.0.0.1:${await freePort()}`, CHAT_URL: `http://127.0.0.1:${await freePort()}` });
    const login = await fetch(`${down.http}/login`, json('POST', { email: 'a@example.com', password: 'x' }));
    expect([login.status, await login.json()]).toEqual([502, { error: 'auth is unavailable' }]);
    const history = await fetch(`${down.http}/chat/history/general`);
    expect([history.status, await history.json()]).toEqual([502, { error: 'chat is unavailable' }]);
    const v1 = await fetch(`${down.http}/api/v1/rooms/general/messages`);
    expect(await v1.json()).toEqual({ error: { code: 'bad_gateway', message: 'chat is unavailable' } });

    const big = await fetch(`${gateway.http}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(64 * 1024 + 1) });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: expect.any(String) });
  });
});

describe('CORS with credentials for the frontend origin', () => {
  it.each([
    ['/login', 'POST'],
    ['/register', 'POST'],
    ['/change-password', 'POST'],
    ['/logout', 'POST'],
    [`/user/${ID}`, 'GET'],
    ['/chat/history/general', 'GET'],
    ['/chat/rooms', 'POST'],
  ])('preflight of %s echoes the origin with Access-Control-Allow-Credentials: true', async (path, method) => {
    const before = [auth, user, chat].map((u) => u.requests.length);
    const pre = await fetch(gateway.http + path, {
      method: 'OPTIONS',
      headers: { origin: FRONTEND, 'access-control-request-method': method, 'access-control-request-headers': 'content-type,authorization' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-allow-methods')).toContain(method);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    // Answered by the gateway: no service sees a preflight.
    expect([auth, user, chat].map((u) => u.requests.length)).toEqual(before);

    const res = await fetch(gateway.http + path, { method, headers: { origin: FRONTEND, cookie: 'token=t' } });
    expect(res.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toMatch(/origin/i);
  });

  it('gives an origin not configured no CORS headers, and `*` never comes with credentials', async () => {
    const res = await fetch(`${gateway.http}/chat/history/general`, { headers: { origin: 'http://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const any = await gatewayWith({ CORS_ORIGINS: '*' });
    const pre = await fetch(`${any.http}/login`, {
      method: 'OPTIONS',
      headers: { origin: FRONTEND, 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
