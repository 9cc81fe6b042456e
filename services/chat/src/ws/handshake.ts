import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { TokenVerifierUnavailableError, closeCodes, type Principal, type TokenVerifier } from '@chatorbit/shared';
import type { ChatNode } from '../node.ts';

/** Why a handshake's socket is closed at once instead of being accepted. */
export type HandshakeRefusal = { code: number; reason: string };

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
  if (!token) return { code: closeCodes.unauthorized, reason: 'unauthorized' };
  let principal: Principal;
  try {
    principal = await verifier.verify(token);
  } catch (err) {
    if (!(err instanceof TokenVerifierUnavailableError)) return { code: closeCodes.unauthorized, reason: 'unauthorized' };
    log.warn({ err }, 'cannot verify tokens: the JWKS is unavailable');
    return { code: closeCodes.tryAgainLater, reason: 'auth keys unavailable' };
  }
  // A valid token outlives a deactivation: the account itself is checked at every handshake.
  try {
    return (await node.isDeactivated(principal)) ? { code: closeCodes.accountDeactivated, reason: 'account deactivated' } : principal;
  } catch (err) {
    log.warn({ err }, 'cannot check whether the account is deactivated');
    return { code: closeCodes.tryAgainLater, reason: 'try again later' };
  }
}

export const isRefusal = (outcome: Principal | HandshakeRefusal): outcome is HandshakeRefusal => 'code' in outcome;

/** Closes a socket refused at its handshake. */
export const refuseSocket = (ws: WebSocket, refusal: HandshakeRefusal) => ws.close(refusal.code, refusal.reason);
