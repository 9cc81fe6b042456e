import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { accountDeactivated, forbidden, unauthorized } from '../errors.ts';
import { TokenVerifierUnavailableError, extractToken, isGuest, type Principal, type TokenVerifier } from '../tokens.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest/preHandler hook: 401 unless the request carries a valid access token in
     * `Authorization: Bearer`. (Never from the query string on HTTP: URLs end up in logs.)
     * 403 `account_deactivated` when the plugin has `isDeactivated` and the account is.
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

/** The principal of a request that passed `app.authenticate` and is not a guest; 403 for a guest. */
export function accountOf(request: FastifyRequest): Principal {
  const principal = principalOf(request);
  if (isGuest(principal)) throw forbidden('guests have no account; sign in');
  return principal;
}

export interface AuthPluginOptions {
  verifier: TokenVerifier;
  /**
   * Whether an account is deactivated (guests are never looked up): a valid token of one is
   * refused with 403 `account_deactivated`. Called once per authenticated request: keep it cheap.
   */
  isDeactivated?: (userId: string) => Promise<boolean>;
}

export const authPlugin = fp<AuthPluginOptions>(
  async (app, { verifier, isDeactivated }) => {
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
      if (isDeactivated && !isGuest(request.principal) && (await isDeactivated(request.principal.userId))) throw accountDeactivated();
    });
  },
  { name: 'chatorbit-auth' },
);
