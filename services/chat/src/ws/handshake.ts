import type { FastifyBaseLogger } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { TokenVerifierUnavailableError, closeCodes, type Principal, type TokenVerifier } from '@chatorbit/shared';
import type { ChatNode } from '../node.ts';
import type { ChatMetrics, HandshakeRefusalReason } from '../metrics.ts';
import type { ConnectionGuard } from './guard.ts';

/** Why a handshake's socket is closed at once instead of being accepted; `kind` labels the metric. */
export type HandshakeRefusal = { code: number; reason: string; kind: HandshakeRefusalReason };

/**
 * Checks a socket's token and account, for /ws and /ws/chat alike: the principal, or the close
 * code the accepted socket gets at once (browsers cannot read a refused handshake's status, so
 * the reason travels as a close code): 4401 no or bad token, 4403 deactivated account, 1013 when
 * the keys or the deactivation set cannot be read (the token may be fine).
 */
export async function authenticateSocket(
  token: string | undefined,
  verifier: TokenVerifier,
  node: ChatNode,
  log: FastifyBaseLogger,
): Promise<Principal | HandshakeRefusal> {
  if (!token) return { code: closeCodes.unauthorized, reason: 'unauthorized', kind: 'unauthorized' };
  let principal: Principal;
  try {
    principal = await verifier.verify(token);
  } catch (err) {
    if (!(err instanceof TokenVerifierUnavailableError)) return { code: closeCodes.unauthorized, reason: 'unauthorized', kind: 'unauthorized' };
    log.warn({ err }, 'cannot verify tokens: the JWKS is unavailable');
    return { code: closeCodes.tryAgainLater, reason: 'auth keys unavailable', kind: 'unavailable' };
  }
  // A valid token outlives a deactivation: the account itself is checked at every handshake.
  try {
    return (await node.isDeactivated(principal)) ? { code: closeCodes.accountDeactivated, reason: 'account deactivated', kind: 'deactivated' } : principal;
  } catch (err) {
    log.warn({ err }, 'cannot check whether the account is deactivated');
    return { code: closeCodes.tryAgainLater, reason: 'try again later', kind: 'unavailable' };
  }
}

export const isRefusal = (outcome: Principal | HandshakeRefusal): outcome is HandshakeRefusal => 'code' in outcome;

/** Closes a socket refused at its handshake, and counts the refusal by its kind. */
export const refuseSocket = (ws: WebSocket, refusal: HandshakeRefusal, metrics: ChatMetrics) => {
  metrics.handshakeRefusals.inc({ reason: refusal.kind });
  ws.close(refusal.code, refusal.reason);
};

export interface HandshakeContext {
  wss: WebSocketServer;
  verifier: TokenVerifier;
  node: ChatNode;
  guard: ConnectionGuard;
  metrics: ChatMetrics;
  log: FastifyBaseLogger;
  /** False once the node is shutting down: a socket upgraded then is closed with 1001. */
  accepting: () => boolean;
}

/**
 * One handshake, for /ws and /ws/chat alike. In order: the address's handshake rate and open
 * sockets (before the token is even looked at, so a flood costs no signature checks), the token
 * and the account, then the account's open sockets. A refused socket is accepted and closed at
 * once with the refusal's code (4429, 4401, 4403, 1013), so a browser learns why; an admitted one
 * goes to `accept`.
 */
export function upgradeSocket(
  ctx: HandshakeContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  token: string | undefined,
  accept: (ws: WebSocket, principal: Principal) => void,
): void {
  const limited = ctx.guard.admit(req, socket);
  const outcome = limited ? Promise.resolve(limited) : authenticateSocket(token, ctx.verifier, ctx.node, ctx.log);
  void outcome.then((result) => {
    ctx.wss.handleUpgrade(req, socket, head, (ws) => {
      if (!ctx.accepting()) return ws.close(closeCodes.goingAway, 'server shutting down');
      const refusal = isRefusal(result) ? result : ctx.guard.admitUser(result.userId, socket);
      if (refusal) return refuseSocket(ws, refusal, ctx.metrics);
      accept(ws, result as Principal);
    });
  });
}
