import fp from 'fastify-plugin';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { closeCodes, extractToken, requestIdOf, type Principal, type TokenVerifier } from '@chatorbit/shared';
import type { ChatNode } from '../node.ts';
import type { ChatMetrics } from '../metrics.ts';
import { Connection, type ConnectionLimits } from './connection.ts';
import type { ConnectionGuard } from './guard.ts';
import { upgradeSocket } from './handshake.ts';

export interface WebSocketPluginOptions {
  node: ChatNode;
  verifier: TokenVerifier;
  metrics: ChatMetrics;
  limits: ConnectionLimits;
  /** The connection limits, shared with /ws/chat. */
  guard: ConnectionGuard;
  pingIntervalMs: number;
}

export const WS_PATH = '/ws';

/** The upgrade's request id: the gateway's `x-request-id` (when a sane one), or a new one; on every log line of the socket. */
const requestId = (req: IncomingMessage) => requestIdOf(req);

/**
 * The v1 WebSocket endpoint on the app's HTTP server. The connection limits and the token are
 * checked before the upgrade completes (upgradeSocket); a refused socket is accepted and closed at
 * once with 4429, 4401 or 4403, so browsers (which cannot read a refused handshake's status) learn why.
 */
export const websocketPlugin = fp<WebSocketPluginOptions>(
  async (app, opts) => {
    const { node, verifier, metrics, limits, guard } = opts;
    // Frames up to 4× the soft limit are read and refused with an error frame; beyond that ws
    // closes the socket with 1009 without buffering the rest.
    const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes * 4, perMessageDeflate: false });
    const connections = new Set<Connection>();
    let accepting = true;
    const handshake = { wss, verifier, node, guard, metrics, log: app.log, accepting: () => accepting };

    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== WS_PATH) return;
      if (!accepting) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const token = extractToken(req.headers.authorization, url.searchParams.get('token'));
      upgradeSocket(handshake, req, socket, head, token, (ws, principal) => accept(ws, principal, requestId(req)));
    };

    const accept = (ws: WebSocket, principal: Principal, reqId: string) => {
      const connection = new Connection(ws, principal, node, limits, metrics, app.log.child({ reqId, userId: principal.userId }));
      connections.add(connection);
      metrics.connections.inc();
      metrics.connectionsTotal.inc();
      ws.on('error', (err) => app.log.debug({ err }, 'socket error'));
      ws.once('close', () => {
        connections.delete(connection);
        metrics.connections.dec();
        void connection.close();
      });
    };

    // One timer for every socket: a socket that has not answered the previous ping is dropped.
    const keepalive = setInterval(() => {
      for (const connection of connections) connection.heartbeat();
    }, opts.pingIntervalMs);
    keepalive.unref();

    app.server.on('upgrade', onUpgrade);

    app.addHook('preClose', async () => {
      accepting = false;
      clearInterval(keepalive);
      app.server.off('upgrade', onUpgrade);
      // Finish frames in flight (a send being stored), then tell every client to reconnect elsewhere.
      await Promise.allSettled([...connections].map((c) => c.drained()));
      const closed = [...wss.clients].map((ws) => new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(closeCodes.goingAway, 'server shutting down');
      }));
      await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      for (const ws of wss.clients) ws.terminate();
      await Promise.allSettled([...connections].map((c) => c.close()));
      wss.close();
    });
  },
  { name: 'chatorbit-chat-websocket' },
);
