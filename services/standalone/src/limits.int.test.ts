// The limits of `pnpm start` through its real ports: request bodies over 64 KiB refused with 413
// by every service and by the gateway (JSON error, or the original API's `{error: string}`), login
// attempts past the free ones with 429, each refusal counted in /metrics by its status; WebSocket
// connection limits behind the gateway, which counts every client by its own address
// (X-Forwarded-For), not the gateway's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleValue, scrapeMetrics, TestClient, waitFor } from '@chatorbit/shared/testing';
import { startStandalone, type Standalone } from './standalone.ts';

let app: Standalone;
const urls: Record<string, string> = {};
let token: string;

beforeAll(async () => {
  app = await startStandalone({ LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', MAX_CONNECTIONS_PER_IP: '2', HANDSHAKES_PER_SEC_PER_IP: '0' });
  for (const [service, instance] of Object.entries(app.apps)) urls[service] = `http://127.0.0.1:${(instance.server.address() as { port: number }).port}`;
  const password = 'limits secret password';
  const signup = await fetch(`${app.url}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'limits', email: 'limits@example.test', password }),
  });
  expect(signup.status).toBe(201);
  const login = await fetch(`${app.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'limits', password }) });
  token = ((await login.json()) as { accessToken: string }).accessToken;
});
afterAll(async () => {
  await app?.close();
});

const BIG = JSON.stringify({ padding: 'x'.repeat(64 * 1024) });

describe('request bodies over 64 KiB', () => {
  // A route of each service taking a body, with a token where one is needed (authentication runs
  // before the body is read, so without one the answer would be 401).
  const routes: Array<[string, string, string, 'json' | 'compat']> = [
    ['auth', 'POST', '/api/v1/auth/signup', 'json'],
    ['auth', 'POST', '/register', 'compat'],
    ['user', 'PATCH', '/api/v1/users/me', 'json'],
    ['chat', 'POST', '/api/v1/rooms', 'json'],
    ['chat', 'PUT', '/api/v1/rooms/r1/settings', 'json'],
    ['chat', 'POST', '/chat/rooms', 'compat'],
  ];

  it.each(routes)('%s refuses %s %s with 413, directly and through the gateway, and counts it', async (service, method, path, shape) => {
    for (const base of [urls[service]!, app.url]) {
      // Through the gateway the body never reaches the service: the gateway refuses and counts it.
      const counted = base === app.url ? urls.gateway! : urls[service]!;
      const count = async () => sampleValue((await scrapeMetrics(counted)).samples, 'chatorbit_http_request_duration_seconds_count', { status_code: '413' });
      const before = await count();
      const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: BIG });
      expect(res.status, `${base}${path}`).toBe(413);
      const body = await res.json();
      expect(body).toEqual(shape === 'json' ? { error: { code: 'payload_too_large', message: expect.any(String) } } : { error: expect.any(String) });
      expect(await count()).toBe(before + 1);
    }
  });

  it('takes a body of exactly 64 KiB', async () => {
    const name = 'x'.repeat(64 * 1024 - JSON.stringify({ displayName: '' }).length);
    const res = await fetch(`${urls.user}/api/v1/users/me`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ displayName: name }),
    });
    // Read and judged by the route (the name is too long), not refused for its size.
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_display_name');
  });
});

describe('login attempts', () => {
  it('refuses a login past the free attempts with 429 too_many_attempts and Retry-After, counted by auth', async () => {
    const count = async () =>
      sampleValue((await scrapeMetrics(urls.auth!)).samples, 'chatorbit_http_request_duration_seconds_count', { route: '/api/v1/auth/login', status_code: '429' });
    const before = await count();
    const attempt = () =>
      fetch(`${app.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'limits', password: 'not the password' }) });
    // LOGIN_FREE_ATTEMPTS (5) per account go without delay, and the one after them; it sets the first wait.
    for (let i = 0; i < 6; i++) expect((await attempt()).status).toBe(401);
    const refused = await attempt();
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: { code: 'too_many_attempts', message: expect.any(String) } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await count()).toBe(before + 1);
  });
});

describe('WebSocket connection limits behind the gateway', () => {
  const open = (path: string, address: string) =>
    new TestClient(`${app.url.replace('http', 'ws')}${path}?token=${token}`, { 'x-forwarded-for': address });

  it("counts each client by the address the gateway forwards, on /ws and /ws/chat together; 4429 reaches the client through the gateway", async () => {
    const a1 = open('/ws', '198.51.100.1');
    const a2 = open('/ws/chat', '198.51.100.1');
    await a1.opened;
    expect(await a1.request({ type: 'ping' }, (f) => f.type === 'pong')).toEqual({ type: 'pong' });
    await a2.opened;
    expect(await open('/ws', '198.51.100.1').waitClosed()).toEqual({ code: 4429, reason: 'too many connections from this address' });
    // Another client of the same gateway is not affected.
    const b = open('/ws', '198.51.100.2');
    await b.opened;
    expect(await b.request({ type: 'ping' }, (f) => f.type === 'pong')).toEqual({ type: 'pong' });
    const refusals = sampleValue((await scrapeMetrics(urls.chat!)).samples, 'chatorbit_ws_handshake_refusals_total', { reason: 'connections_per_ip' });
    expect(refusals).toBe(1);
    for (const c of [a1, a2, b]) c.close();
    await waitFor(async () => sampleValue((await scrapeMetrics(urls.chat!)).samples, 'chatorbit_ws_connections_open') === 0, { message: 'every socket closed' });
  });
});
