import type { FastifyRequest } from 'fastify';
import { extractToken, unauthorized, type Principal, type TokenVerifier } from '@chatorbit/shared';

/**
 * The principal of a request's access token: `Authorization: Bearer` first, then the cookie
 * named `cookie` when given (the original frontend's routes). 401 without a valid token.
 */
export async function requestPrincipal(request: FastifyRequest, verifier: TokenVerifier, cookie?: string): Promise<Principal> {
  const token = extractToken(request.headers.authorization, cookie ? request.cookies[cookie] : undefined);
  if (!token) throw unauthorized();
  try {
    return await verifier.verify(token);
  } catch {
    throw unauthorized('the access token is invalid or expired');
  }
}
