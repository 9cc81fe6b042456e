// Throwaway servers for the gateway's tests: fake upstreams (a real fastify app plus a real `ws`
// server on one loopback port) and the gateway itself, listening on a free port.
import type { IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { loadConfig } from '@chatorbit/shared';
import { buildGatewayApp } from '../app.ts';
import { gatewayConfigSchema } from '../config.ts';

export const TIMEOUT_MS = 5_000;

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface UpstreamSocket {
  url: string;
  headers: IncomingHttpHeaders;
  socket: WebSocket;
}

export interface HeldHandshake {
  url: string;
  release(): void;
  /** Settles when the peer ends the handshake's TCP connection (it stays half-open until we close). */
  peerEnded: Promise<unknown>;
}

export interface FakeUpstream {
  name: string;
  url: string;
  /** Every HTTP request received, in order. */
  requests: SeenRequest[];
  /** The next WebSocket this upstream accepts (or already accepted and not yet taken). */
  nextSocket(): Promise<UpstreamSocket>;
  /** When set, WebSocket handshakes are answered with this HTTP status instead of 101. */
  refuseWith: number | undefined;
  /** While true, WebSocket handshakes wait until released; take them with nextHeldHandshake(). */
  holdHandshakes: boolean;
  /** Headers added to every HTTP answer (e.g. a Set-Cookie). */
  responseHeaders: Record<string, string>;
  /** When set, GET /openapi.json answers this document (and is not recorded in `requests`). */
  openapi: object | undefined;
  nextHeldHandshake(): Promise<HeldHandshake>;
  stop(): Promise<void>;
}

/** Answers every HTTP request with 200 `{ service, method, url }` and accepts WebSockets on any path. */
export async function startFakeUpstream(name: string): Promise<FakeUpstream> {
  const app = Fastify({ bodyLimit: 10 * 1024 * 1024 });
  const requests: SeenRequest[] = [];
  const sockets = queue<UpstreamSocket>();
  const held = queue<HeldHandshake>();
  const heldSockets = new Set<Socket>();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.all('/*', async (request, reply) => {
    if (fake.openapi && request.method === 'GET' && request.url === '/openapi.json') return fake.openapi;
    requests.push({ method: request.method, url: request.url, headers: request.headers, body: (request.body as Buffer | undefined) ?? Buffer.alloc(0) });
    void reply.headers(fake.responseHeaders);
    return { service: name, method: request.method, url: request.url };
  });

  const fake: FakeUpstream = {
    name,
    url: '',
    requests,
    nextSocket: () => within(sockets.next(), `a WebSocket at ${name}`),
    refuseWith: undefined,
    holdHandshakes: false,
    responseHeaders: {},
    openapi: undefined,
    nextHeldHandshake: () => within(held.next(), `a held handshake at ${name}`),
    stop: async () => {
      for (const client of wss.clients) client.terminate();
      for (const socket of heldSockets) socket.destroy();
      await app.close();
    },
  };

  const wss = new WebSocketServer({
    server: app.server,
    verifyClient: (info, accept) => {
      if (fake.refuseWith !== undefined) return accept(false, fake.refuseWith);
      if (!fake.holdHandshakes) return accept(true);
      const socket = info.req.socket;
      // An upgraded socket is not read until the handshake completes, so a peer that gives up
      // would go unnoticed; no frame may precede the 101, so reading it loses nothing.
      socket.resume();
      heldSockets.add(socket);
      held.push({ url: info.req.url ?? '', release: () => accept(true), peerEnded: once(socket, 'end') });
    },
  });
  wss.on('connection', (socket, req) => {
    socket.on('error', () => {});
    sockets.push({ url: req.url ?? '', headers: req.headers, socket });
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  fake.url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return fake;
}

export interface Gateway {
  app: FastifyInstance;
  http: string;
  ws: string;
}

/** Builds the gateway from environment-style overrides and listens on a free loopback port. */
export async function startGateway(env: Record<string, string>): Promise<Gateway> {
  const config = loadConfig(gatewayConfigSchema, { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...env });
  const app = await buildGatewayApp(config);
  await app.listen({ host: config.HOST, port: config.PORT });
  const { port } = app.server.address() as { port: number };
  return { app, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}` };
}

/** Rejects if `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, what: string, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The next emission of `event`, as its argument list; rejects after TIMEOUT_MS. */
export function nextEvent(emitter: NodeJS.EventEmitter, event: string): Promise<unknown[]> {
  return within(once(emitter, event), `'${event}'`);
}

function queue<T>() {
  const items: T[] = [];
  const waiting: ((item: T) => void)[] = [];
  return {
    push(item: T) {
      const take = waiting.shift();
      if (take) take(item);
      else items.push(item);
    },
    next(): Promise<T> {
      return items.length > 0 ? Promise.resolve(items.shift()!) : new Promise<T>((resolve) => waiting.push(resolve));
    },
  };
}
