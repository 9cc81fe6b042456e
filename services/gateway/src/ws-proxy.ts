import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { closeCodes, requestIdOf, type HttpErrorCode } from '@chatorbit/shared';
import { forwardedHeaders } from './forwarded.ts';
import { createGatewayMetrics } from './metrics.ts';

export interface WsRoute {
  /** Exact path on the gateway; the upstream receives the same path and query string. */
  path: string;
  service: string;
  /** Base http(s) URL of the upstream; its socket is reached over ws(s) on the same host. */
  upstream: string;
}

/**
 * Close code for a client whose upstream could not be reached, refused the handshake, or dropped
 * without a close frame (RFC 6455 1013 "try again later": transient, reconnect with backoff).
 */
export const upstreamUnavailableCode = closeCodes.tryAgainLater;

/** Above the chat service's own hard frame limit, so oversized frames meet chat's rules, not ours. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;
const HANDSHAKE_TIMEOUT_MS = 5_000;
/** On shutdown, peers that have not answered our close frame by then are cut off (ws alone waits 30 s). */
const CLOSE_GRACE_MS = 2_000;
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;
/** Client handshake headers the upstream needs; everything else stays at the gateway. */
const passedHeaders = ['authorization', 'cookie', 'origin', 'user-agent'] as const;

interface Link {
  client: WebSocket;
  upstream: WebSocket;
  /** Settles once both sockets have closed. */
  closed: Promise<void>;
}

/**
 * Proxies WebSocket upgrades on the routes' paths to their upstreams. Messages, pings and close
 * codes pass through unchanged in both directions; on shutdown both sides get 1001.
 */
export function registerWsProxy(app: FastifyInstance, routes: readonly WsRoute[]): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD_BYTES, clientTracking: false });
  const links = new Set<Link>();
  let closing = false;
  const metrics = createGatewayMetrics(app.metrics);

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const route = routes.find((r) => r.path === path);
    if (!route) return refuse(socket, 404, 'not_found', `no WebSocket route ${path}`);
    if (closing) return refuse(socket, 503, 'unavailable', 'the gateway is shutting down');
    wss.handleUpgrade(req, socket, head, (client) => {
      const requestId = requestIdOf(req);
      const link = connect(client, req, route, app.log.child({ reqId: requestId, service: route.service }), requestId);
      links.add(link);
      metrics.wsOpen.inc();
      metrics.wsTotal.inc({ service: route.service });
      void link.closed.then(() => links.delete(link) && metrics.wsOpen.dec());
    });
  });

  app.addHook('preClose', async () => {
    closing = true;
    for (const { client, upstream } of links) {
      closeWith(client, closeCodes.goingAway, 'the gateway is shutting down');
      closeWith(upstream, closeCodes.goingAway, 'the gateway is shutting down');
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...links].map((l) => l.closed)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS))),
    ]);
    clearTimeout(timer);
    for (const { client, upstream } of links) {
      client.terminate();
      upstream.terminate();
    }
  });
}

function connect(client: WebSocket, req: IncomingMessage, route: WsRoute, log: FastifyBaseLogger, requestId: string): Link {
  const headers: Record<string, string> = forwardedHeaders(req, requestId);
  for (const name of passedHeaders) {
    const value = headerValue(req, name);
    if (value) headers[name] = value;
  }
  const upstream = new WebSocket(upstreamUrl(route, req.url ?? route.path), client.protocol ? [client.protocol] : [], {
    headers,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    maxPayload: MAX_PAYLOAD_BYTES,
    perMessageDeflate: false,
    // The upstream's pings go to the client and the client's pongs come back, so the upstream's
    // liveness check measures the client, not the gateway.
    autoPong: false,
  });

  let opened = false;
  let refusedWith: number | undefined;
  let upstreamError: Error | undefined;
  upstream.on('unexpected-response', (_request, response) => {
    refusedWith = response.statusCode;
    response.resume();
    upstream.terminate();
  });
  upstream.once('open', () => (opened = true));
  pipe(client, upstream);
  pipe(upstream, client);
  upstream.on('ping', (data: Buffer) => client.ping(data));
  client.on('pong', (data: Buffer) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.pong(data);
  });
  upstream.on('error', (err) => (upstreamError = err));
  client.on('error', (err) => log.debug({ err }, 'client socket error'));

  const unavailable = `${route.service} is unavailable`;
  const closed = Promise.all([
    new Promise<void>((resolve) =>
      upstream.once('close', (code: number, reason: Buffer) => {
        if (opened) {
          if (code === 1006) log.warn({ err: upstreamError }, `${route.service} dropped the connection`);
          forwardClose(client, code, reason, upstreamUnavailableCode, unavailable);
        } else if (client.readyState !== WebSocket.OPEN) {
          // The client left first; its close aborted the handshake.
        } else if (refusedWith === 401) {
          closeWith(client, closeCodes.unauthorized, 'unauthorized');
        } else {
          log.warn({ err: upstreamError, status: refusedWith }, unavailable);
          closeWith(client, upstreamUnavailableCode, unavailable);
        }
        resolve();
      }),
    ),
    new Promise<void>((resolve) =>
      client.once('close', (code: number, reason: Buffer) => {
        forwardClose(upstream, code, reason, closeCodes.goingAway, 'client went away');
        resolve();
      }),
    ),
  ]).then(() => undefined);

  return { client, upstream, closed };
}

/**
 * Relays messages from → to, keeping text/binary and order. Frames that arrive while `to` is
 * still connecting wait for its open. When `to` falls behind, `from` stops being read, so the
 * backlog builds up at the sender (chat drops slow consumers by its socket's buffer) instead of
 * in the gateway's memory. (`from` is not paused while `to` connects unless it floods: a paused
 * socket would not notice its peer leaving.)
 */
function pipe(from: WebSocket, to: WebSocket): void {
  const early: Array<[Buffer, boolean]> = [];
  let earlyBytes = 0;
  const send = (data: Buffer, isBinary: boolean) => {
    to.send(data, { binary: isBinary }, () => {
      if (from.isPaused && to.bufferedAmount < LOW_WATER_BYTES) from.resume();
    });
    if (to.bufferedAmount > HIGH_WATER_BYTES) from.pause();
  };
  from.on('message', (data: RawData, isBinary: boolean) => {
    const buffer = data as Buffer; // binaryType is the default 'nodebuffer'
    if (to.readyState !== WebSocket.CONNECTING) return send(buffer, isBinary);
    early.push([buffer, isBinary]);
    earlyBytes += buffer.length;
    if (earlyBytes > HIGH_WATER_BYTES) from.pause();
  });
  to.once('open', () => {
    for (const [data, isBinary] of early.splice(0)) send(data, isBinary);
  });
}

/**
 * Closes `to` the way its peer closed: same code and reason, or no code if none was given. Codes
 * an endpoint may not send (1006 abnormal closure, 1015 TLS failure) become the fallback.
 */
function forwardClose(to: WebSocket, code: number, reason: Buffer, fallbackCode: number, fallbackReason: string): void {
  if (code === 1005) closeWith(to);
  else if (sendable(code)) closeWith(to, code, reason);
  else closeWith(to, fallbackCode, fallbackReason);
}

function closeWith(socket: WebSocket, code?: number, reason?: string | Buffer): void {
  if (socket.readyState === WebSocket.CONNECTING) {
    socket.terminate();
  } else if (socket.readyState === WebSocket.OPEN) {
    socket.resume(); // to read the peer's close frame even if backpressure paused it
    socket.close(code, reason);
  }
}

function sendable(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

function upstreamUrl(route: WsRoute, requestUrl: string): URL {
  const query = requestUrl.indexOf('?');
  const url = new URL(route.path + (query < 0 ? '' : requestUrl.slice(query)), route.upstream);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

function refuse(socket: Duplex, status: number, code: HttpErrorCode, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.once('error', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
