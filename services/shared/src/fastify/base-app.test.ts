// What every service's app does before and around its routes: answers in the one error shape
// even where Fastify and Node's HTTP parser answer on their own (a path the router cannot decode,
// a path parameter of any length, a request that is not HTTP), keeps sane request ids only, and
// sends the security headers.
import { connect } from 'node:net';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseApp, SECURITY_HEADERS, type BaseApp } from './base-app.ts';

let app: BaseApp;
let port: number;

beforeAll(async () => {
  app = await createBaseApp('test', 'silent');
  app.get('/request-id', async (request) => ({ id: request.id }));
  app.get('/items/:id', { schema: { params: Type.Object({ id: Type.String({ pattern: '^[a-z]{1,10}$' }) }) } }, async (request) => ({ id: request.params.id }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app?.close();
});

/** Writes raw bytes to the server and resolves with everything it answers before closing. */
const raw = (bytes: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });

describe('errors outside any route', () => {
  it('refuses a path parameter of any length by the route schema (400 invalid_params), not by the router', async () => {
    const res = await app.inject(`/items/${'a'.repeat(5_000)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'invalid_params' } });
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('answers a path the router cannot decode with 400 in the one shape', async () => {
    const res = await app.inject('/items/%E0%A4%A');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(/^malformed URL/) } });
  });

  it.each([
    ['a request line that is not HTTP', 'NOT HTTP AT ALL\r\n\r\n', 400, 'bad_request'],
    ['a conflicting transfer encoding', 'POST /items/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\nContent-Length: 2\r\n\r\n{}', 400, 'bad_request'],
    ['headers over 16 KiB', `GET /items/a HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
  ])("answers %s (Node's parser) with JSON in the one shape", async (_name, bytes, status, code) => {
    const answer = await raw(bytes);
    expect(answer.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Request Header Fields Too Large'}`);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code, message: expect.any(String) } });
  });
});

describe('request ids', () => {
  it.each([
    ['a UUID', '4f2ad749-cb61-4bbb-ad61-4581025412c8', true],
    ['a tracing id', 'abc.DEF_123:4-5', true],
    ['128 characters', 'x'.repeat(128), true],
    ['129 characters', 'x'.repeat(129), false],
    ['spaces', 'a b', false],
    ['a JSON fragment', '","level":60', false],
  ])('keeps %s: %s', async (_name, id, kept) => {
    const seen = (await app.inject({ url: '/request-id', headers: { 'x-request-id': id } })).json<{ id: string }>().id;
    if (kept) expect(seen).toBe(id);
    else expect(seen).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe('security headers', () => {
  it('are on answers and on errors', async () => {
    for (const url of ['/items/a', '/items/A', '/nowhere']) {
      const res = await app.inject(url);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers[name], `${url} ${name}`).toBe(value);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});
