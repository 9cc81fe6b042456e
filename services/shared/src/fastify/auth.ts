import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../errors.ts';
import { TokenVerifierUnavailableError, extractToken, type Principal, type TokenVerifier } from '../tokens.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest/preHandler hook: 401 unless the request carries a valid access token in
     * `Authorization: Bearer`. (Never from the query string on HTTP: URLs end up in logs.)
     */
    authenticate: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** The principal of a request that passed `app.authenticate`; 401 if it did not. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}

export const authPlugin = fp<{ verifier: TokenVerifier }>(
  async (app, { verifier }) => {
    app.decorateRequest('principal', undefined);
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const token = extractToken(request.headers.authorization, undefined);
      if (!token) throw unauthorized();
      try {
        request.principal = await verifier.verify(token);
      } catch (err) {
        if (err instanceof TokenVerifierUnavailableError) throw err;
        throw unauthorized('the access token is invalid or expired');
      }
    });
  },
  { name: 'chatorbit-auth' },
);
