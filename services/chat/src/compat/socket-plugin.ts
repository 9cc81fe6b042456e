import fp from 'fastify-plugin';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  COMPAT_DEFAULT_ROOM,
  closeCodes,
  extractToken,
  roomNameRe,
  type Principal,
  type TokenVerifier,
} from '@chatorbit/shared';
import type { ChatNode } from '../node.ts';
import type { ChatMetrics } from '../metrics.ts';
import { CompatConnection, type CompatLimits } from './connection.ts';
import type { ConnectionGuard } from '../ws/guard.ts';
import { refuseSocket, upgradeSocket } from '../ws/handshake.ts';

export interface CompatSocketOptions {
  node: ChatNode;
  verifier: TokenVerifier;
  metrics: ChatMetrics;
  limits: CompatLimits;
  /** The connection limits, shared with /ws. */
  guard: ConnectionGuard;
  /** How often every /ws/chat socket is pinged (the original: 10 s). */
  pingIntervalMs: number;
}

export const COMPAT_WS_PATH = '/ws/chat';

/**
 * The original frontend's socket: GET /ws/chat?token=<jwt>&room_id=<room> (or `roomId`, or the
 * token in `Authorization: Bearer`); no room: `general`. Like /ws, a socket without a valid
 * token is accepted and closed with 4401; a room name outside [A-Za-z0-9_-]{1,64} closes it with
 * 4400; the connection limits are /ws's (4429), counted together with /ws sockets. Pinged every pingIntervalMs; dropped after limits.pongTimeoutMs without an answer.
 */
export const compatSocketPlugin = fp<CompatSocketOptions>(
  async (app, opts) => {
    const { node, verifier, metrics, limits, guard } = opts;
    // Like /ws: frames up to 4× the soft limit are read and refused with an error frame; beyond
    // that ws closes the socket with 1009.
    const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes * 4, perMessageDeflate: false });
    const connections = new Set<CompatConnection>();
    let accepting = true;
    const handshake = { wss, verifier, node, guard, metrics, log: app.log, accepting: () => accepting };

    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== COMPAT_WS_PATH) return;
      if (!accepting) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const room = url.searchParams.get('room_id') || url.searchParams.get('roomId') || COMPAT_DEFAULT_ROOM;
      const token = extractToken(req.headers.authorization, url.searchParams.get('token'));
      upgradeSocket(handshake, req, socket, head, token, (ws, principal) => {
        if (roomNameRe.test(room)) accept(ws, principal, room);
        else refuseSocket(ws, { code: closeCodes.badRequest, reason: 'room_id must match [A-Za-z0-9_-]{1,64}', kind: 'invalid_room' }, metrics);
      });
    };

    const accept = (ws: WebSocket, principal: Principal, room: string) => {
      const log = app.log.child({ userId: principal.userId, protocol: 'compat' });
      const connection = new CompatConnection(ws, principal, node, limits, metrics, log);
      connections.add(connection);
      metrics.connections.inc();
      metrics.connectionsTotal.inc();
      ws.on('error', (err) => app.log.debug({ err }, 'socket error'));
      ws.once('close', () => {
        connections.delete(connection);
        metrics.connections.dec();
        void connection.close();
      });
      void connection.start(room);
    };

    const keepalive = setInterval(() => {
      for (const connection of connections) connection.ping();
    }, opts.pingIntervalMs);
    keepalive.unref();

    app.server.on('upgrade', onUpgrade);

    app.addHook('preClose', async () => {
      accepting = false;
      clearInterval(keepalive);
      app.server.off('upgrade', onUpgrade);
      // As on /ws: finish frames in flight, then tell every client to reconnect elsewhere.
      await Promise.allSettled([...connections].map((c) => c.drained()));
      const closed = [...wss.clients].map(
        (ws) =>
          new Promise<void>((resolve) => {
            ws.once('close', () => resolve());
            ws.close(closeCodes.goingAway, 'server shutting down');
          }),
      );
      await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      for (const ws of wss.clients) ws.terminate();
      await Promise.allSettled([...connections].map((c) => c.close()));
      wss.close();
    });
  },
  { name: 'chatorbit-chat-compat-socket' },
);
