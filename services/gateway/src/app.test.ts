import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@chatorbit/shared';
import { freePort } from '@chatorbit/shared/testing';
import { gatewayConfigSchema } from './config.ts';
import { startFakeUpstream, startGateway, type FakeUpstream, type Gateway } from './testing/harness.ts';

const LIMIT = 64 * 1024;
const ALLOWED = 'http://app.example:5173';

let auth: FakeUpstream;
let user: FakeUpstream;
let chat: FakeUpstream;
let gateway: Gateway;
let downUrl: string;
const started: Gateway[] = [];

async function gatewayWith(env: Record<string, string>): Promise<Gateway> {
  const g = await startGateway({ AUTH_URL: auth.url, USER_URL: user.url, CHAT_URL: chat.url, ...env });
  started.push(g);
  return g;
}

beforeAll(async () => {
  [auth, user, chat] = await Promise.all([startFakeUpstream('auth'), startFakeUpstream('user'), startFakeUpstream('chat')]);
  downUrl = `http://127.0.0.1:${await freePort()}`;
  gateway = await gatewayWith({ CORS_ORIGINS: `${ALLOWED}, http://other.example` });
});

afterAll(async () => {
  await Promise.all(started.map((g) => g.app.close()));
  await Promise.all([auth, user, chat].map((u) => u?.stop()));
});

describe('HTTP routing', () => {
  it.each([
    ['auth', '/api/v1/auth/login?next=%2Fhome&flag&a=1&a=2'],
    ['auth', '/.well-known/jwks.json'],
    ['user', '/api/v1/users/0123456789abcdef01234567?fields=name'],
    ['chat', '/api/v1/rooms/general/messages?before=42&limit=5'],
  ])('sends %s %s with path and query intact and the generated request id', async (service, path) => {
    const upstream = { auth, user, chat }[service]!;
    const res = await fetch(gateway.http + path);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ service, method: 'GET', url: path });
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const seen = upstream.requests.at(-1)!;
    expect(seen.url).toBe(path);
    expect(seen.headers['x-request-id']).toBe(requestId);
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it("keeps the caller's request id", async () => {
    const res = await fetch(`${gateway.http}/api/v1/rooms`, { headers: { 'x-request-id': 'req-from-ingress-1' } });
    expect(res.headers.get('x-request-id')).toBe('req-from-ingress-1');
    expect(chat.requests.at(-1)!.headers['x-request-id']).toBe('req-from-ingress-1');
  });

  it('replaces a request id no log line should carry (too long, other characters) with its own', async () => {
    for (const bad of ['x'.repeat(129), 'two words', 'line\tbreak', 'ümlaut']) {
      const res = await fetch(`${gateway.http}/api/v1/rooms`, { headers: { 'x-request-id': bad } });
      const id = res.headers.get('x-request-id');
      expect(id, bad).toMatch(/^[0-9a-f-]{36}$/);
      expect(chat.requests.at(-1)!.headers['x-request-id']).toBe(id);
    }
  });

  it('takes a body sent with Expect: 100-continue (curl does for bodies over 1 KiB) and passes it on', async () => {
    const body = Buffer.alloc(4 * 1024, 'b');
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${gateway.http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' } });
      req.on('continue', () => req.end(body));
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
    });
    expect(answer.status, answer.body).toBe(200);
    const seen = auth.requests.at(-1)!;
    expect(seen.body.equals(body)).toBe(true);
    expect(seen.headers.expect).toBeUndefined();
  });

  it('does not route paths that merely start like a prefix', async () => {
    const before = auth.requests.length;
    const res = await fetch(`${gateway.http}/api/v1/authx`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /api/v1/authx' } });
    expect(auth.requests.length).toBe(before);
  });

  it('forwards a body of exactly the limit byte for byte with its content type', async () => {
    const body = randomBytes(LIMIT); // not valid JSON or UTF-8: proves nothing re-encodes it
    const res = await fetch(`${gateway.http}/api/v1/users/me`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
    });
    expect(res.status).toBe(200);
    const seen = user.requests.at(-1)!;
    expect(seen.method).toBe('PATCH');
    expect(seen.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(seen.body.equals(body)).toBe(true);
  });

  it.each([
    ['with content-length', () => Buffer.alloc(LIMIT + 1, 'a')],
    ['chunked', () => new Blob([Buffer.alloc(LIMIT + 1, 'a')]).stream()],
  ])('refuses a body over 64 KiB (%s) with 413 before any upstream sees it', async (_how, body) => {
    const before = chat.requests.length;
    const res = await fetch(`${gateway.http}/api/v1/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
    expect(chat.requests.length).toBe(before);
  });

  it('answers 502 bad_gateway naming the service when an upstream is down', async () => {
    const g = await gatewayWith({ CHAT_URL: downUrl });
    const res = await fetch(`${g.http}/api/v1/rooms/general?x=1`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: { code: 'bad_gateway', message: 'chat is unavailable' } });
    expect((await fetch(`${g.http}/api/v1/users/x`)).status).toBe(200);
  });
});

describe('CORS', () => {
  const preflight = (base: string, origin: string) =>
    fetch(`${base}/api/v1/auth/login`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

  it('echoes an allowed origin with credentials on preflight and on the request', async () => {
    const pre = await preflight(gateway.http, ALLOWED);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');

    const res = await fetch(`${gateway.http}/api/v1/auth/login`, { method: 'POST', headers: { origin: ALLOWED } });
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-expose-headers')).toBe('x-request-id');
    expect(res.headers.get('vary')).toMatch(/origin/i);
  });

  it('gives a disallowed origin no CORS headers', async () => {
    for (const res of [await preflight(gateway.http, 'http://evil.example'), await fetch(`${gateway.http}/api/v1/rooms`, { headers: { origin: 'http://evil.example' } })]) {
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('sends no CORS headers when CORS_ORIGINS is empty', async () => {
    const g = await gatewayWith({});
    const res = await fetch(`${g.http}/api/v1/rooms`, { headers: { origin: ALLOWED } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows any origin without credentials for `*`', async () => {
    const g = await gatewayWith({ CORS_ORIGINS: '*' });
    const pre = await preflight(g.http, 'http://anywhere.example');
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it.each(['*, http://a.example', 'app.example', 'http://a.example/path'])('rejects CORS_ORIGINS=%j at start-up', (value) => {
    expect(() => loadConfig(gatewayConfigSchema, { CORS_ORIGINS: value })).toThrow(ConfigError);
    expect(() => loadConfig(gatewayConfigSchema, { CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS/);
  });
});

describe('health and metrics', () => {
  it('/healthz answers 200', async () => {
    const res = await fetch(`${gateway.http}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when every upstream is healthy', async () => {
    const res = await fetch(`${gateway.http}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { auth: 'ok', user: 'ok', chat: 'ok' } });
  });

  it('/readyz answers 503 naming the upstream that is down', async () => {
    const g = await gatewayWith({ USER_URL: downUrl });
    const res = await fetch(`${g.http}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not_ready', checks: { auth: 'ok', user: 'unreachable', chat: 'ok' } });
  });

  it('/metrics labels proxied requests by route template', async () => {
    await fetch(`${gateway.http}/api/v1/rooms/general`);
    const text = await (await fetch(`${gateway.http}/metrics`)).text();
    expect(text).toMatch(/chatorbit_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/rooms\/\*"/);
  });
});
