import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { freePort } from '@chatorbit/shared/testing';
import { upstreamUnavailableCode } from './ws-proxy.ts';
import { nextEvent, startFakeUpstream, startGateway, within, type FakeUpstream, type Gateway } from './testing/harness.ts';

let auth: FakeUpstream;
let user: FakeUpstream;
let chat: FakeUpstream;
let gateway: Gateway;
const clients: WebSocket[] = [];

beforeAll(async () => {
  [auth, user, chat] = await Promise.all([startFakeUpstream('auth'), startFakeUpstream('user'), startFakeUpstream('chat')]);
  gateway = await gatewayWith({});
});

afterEach(() => {
  chat.holdHandshakes = false;
  chat.refuseWith = undefined;
  for (const c of clients.splice(0)) c.terminate();
});

afterAll(async () => {
  await gateway?.app.close();
  await Promise.all([auth, user, chat].map((u) => u?.stop()));
});

function gatewayWith(env: Record<string, string>): Promise<Gateway> {
  return startGateway({ AUTH_URL: auth.url, USER_URL: user.url, CHAT_URL: chat.url, ...env });
}

function client(url: string, headers: Record<string, string> = {}): WebSocket {
  const ws = new WebSocket(url, { headers });
  ws.on('error', () => {});
  clients.push(ws);
  return ws;
}

/** A client linked through the gateway to a chat socket, after one frame went end to end. */
async function connected(path: string, headers: Record<string, string> = {}, base = gateway.ws) {
  const ws = client(base + path, headers);
  const welcome = nextEvent(ws, 'message');
  const upstream = await chat.nextSocket();
  upstream.socket.send('welcome');
  expect(String((await welcome)[0])).toBe('welcome');
  return { ws, upstream };
}

async function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  const [code, reason] = (await nextEvent(ws, 'close')) as [number, Buffer];
  return { code, reason: reason.toString() };
}

describe('WebSocket proxy', () => {
  it.each(['/ws', '/ws/chat'])('relays %s both ways with query, Authorization and request id passed through', async (path) => {
    const query = '?token=eyJhbGciOi.payload.sig&room_id=general';
    const { ws, upstream } = await connected(path + query, { authorization: 'Bearer abc', 'x-request-id': 'req-ws-1' });
    expect(upstream.url).toBe(path + query);
    expect(upstream.headers.authorization).toBe('Bearer abc');
    expect(upstream.headers['x-request-id']).toBe('req-ws-1');

    const atUpstream = nextEvent(upstream.socket, 'message');
    ws.send('{"type":"ping"}');
    expect(await atUpstream).toEqual([Buffer.from('{"type":"ping"}'), false]);

    const atClient = nextEvent(ws, 'message');
    upstream.socket.send(Buffer.from([0, 1, 2, 255]));
    expect(await atClient).toEqual([Buffer.from([0, 1, 2, 255]), true]);
  });

  it('generates a request id when the client sends none', async () => {
    const { upstream } = await connected('/ws');
    expect(upstream.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('holds frames sent before the upstream answered and delivers them in order', async () => {
    chat.holdHandshakes = true;
    const ws = client(`${gateway.ws}/ws`);
    const opened = nextEvent(ws, 'open');
    const handshake = await chat.nextHeldHandshake();
    await opened;
    for (const n of [1, 2, 3]) ws.send(`m${n}`);
    handshake.release();
    const upstream = await chat.nextSocket();
    const got: string[] = [];
    await within(new Promise<void>((resolve) => upstream.socket.on('message', (d) => got.push(String(d)) === 3 && resolve())), 'three frames');
    expect(got).toEqual(['m1', 'm2', 'm3']);
  });

  it.each([
    [4401, 'unauthorized'],
    [1001, 'going away'],
    [4500, ''],
  ])('passes the upstream close code %i and reason %j to the client', async (code, reason) => {
    const { ws, upstream } = await connected('/ws?token=expired');
    const closed = closeOf(ws);
    upstream.socket.close(code, reason);
    expect(await closed).toEqual({ code, reason });
  });

  it('passes a close without a code on as one without a code', async () => {
    const { ws, upstream } = await connected('/ws');
    const closed = closeOf(ws);
    upstream.socket.close();
    expect(await closed).toEqual({ code: 1005, reason: '' });
  });

  it('closes the client with 1013 when the upstream connection drops without a close frame', async () => {
    const { ws, upstream } = await connected('/ws');
    const closed = closeOf(ws);
    upstream.socket.terminate();
    expect(await closed).toEqual({ code: upstreamUnavailableCode, reason: 'chat is unavailable' });
  });

  it('closes the upstream when the client closes', async () => {
    const { ws, upstream } = await connected('/ws');
    const closed = closeOf(upstream.socket);
    ws.close(1000, 'bye');
    expect(await closed).toEqual({ code: 1000, reason: 'bye' });
  });

  it('closes the upstream with 1001 when the client vanishes', async () => {
    const { ws, upstream } = await connected('/ws');
    const closed = closeOf(upstream.socket);
    ws.terminate();
    expect(await closed).toEqual({ code: 1001, reason: 'client went away' });
  });

  it('aborts the upstream handshake when the client leaves before it completes', async () => {
    chat.holdHandshakes = true;
    const ws = client(`${gateway.ws}/ws`);
    const opened = nextEvent(ws, 'open');
    const handshake = await chat.nextHeldHandshake();
    await opened;
    ws.terminate();
    // Well under the gateway's 5 s handshake timeout, which would end it anyway.
    await within(handshake.peerEnded, 'the gateway to abort the upstream handshake', 2_000);
  });

  it('relays upstream pings to the client and its pongs back', async () => {
    const { upstream } = await connected('/ws');
    const pong = nextEvent(upstream.socket, 'pong');
    upstream.socket.ping('liveness-1');
    expect(String((await pong)[0])).toBe('liveness-1');
  });

  it('closes the client with 4401 when the upstream refuses the handshake with 401', async () => {
    chat.refuseWith = 401;
    const ws = client(`${gateway.ws}/ws?token=bad`);
    expect(await closeOf(ws)).toEqual({ code: 4401, reason: 'unauthorized' });
  });

  it('closes the client with 1013 when the upstream is down', async () => {
    const g = await gatewayWith({ CHAT_URL: `http://127.0.0.1:${await freePort()}` });
    try {
      const ws = client(`${g.ws}/ws/chat?token=t`);
      const closed = closeOf(ws);
      await nextEvent(ws, 'open');
      expect(await closed).toEqual({ code: upstreamUnavailableCode, reason: 'chat is unavailable' });
    } finally {
      await g.app.close();
    }
  });

  it('answers an upgrade on another path with 404', async () => {
    const ws = client(`${gateway.ws}/api/v1/rooms`);
    const [, response] = (await nextEvent(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(response.statusCode).toBe(404);
  });

  it('closes both sides with 1001 when the gateway shuts down', async () => {
    const g = await gatewayWith({});
    const { ws, upstream } = await connected('/ws', {}, g.ws);
    const atClient = closeOf(ws);
    const atUpstream = closeOf(upstream.socket);
    await within(g.app.close(), 'the gateway to close');
    expect(await atClient).toEqual({ code: 1001, reason: 'the gateway is shutting down' });
    expect(await atUpstream).toEqual({ code: 1001, reason: 'the gateway is shutting down' });
  });
});
