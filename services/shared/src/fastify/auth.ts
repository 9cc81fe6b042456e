import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../errors.ts';
import { extractToken, type Principal, type TokenVerifier } from '../tokens.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: rejects with 401 unless the request carries a valid access token. */
    authenticate: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export const authPlugin = fp<{ verifier: TokenVerifier }>(
  async (app, { verifier }) => {
    app.decorateRequest('principal', undefined);
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const token = extractToken(request.headers.authorization, (request.query as { token?: string } | undefined)?.token);
      if (!token) throw unauthorized();
      try {
        request.principal = await verifier.verify(token);
      } catch {
        throw unauthorized('the access token is invalid or expired');
      }
    });
  },
  { name: 'chatorbit-auth' },
);
