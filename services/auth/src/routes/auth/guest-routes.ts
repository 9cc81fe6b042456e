import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { AppError } from '@chatorbit/shared';
import type { AuthRouteContext } from '../context.ts';
import { ErrorResponse, GuestResponse, JwksResponse } from './schemas.ts';

/** Guest tokens and the public keys of every token. */
export const guestAndKeyRoutes: FastifyPluginAsyncTypebox<{ ctx: AuthRouteContext }> = async (app, { ctx }) => {
  app.post(
    '/api/v1/auth/guest',
    {
      schema: {
        tags: ['sessions'],
        summary: 'A guest viewer token: join and read rooms, never send',
        description:
          'No account: the token has `roles: ["guest"]`, a fresh id and a `guest-xxxxxx` name, lives ACCESS_TOKEN_TTL_SEC and cannot be ' +
          'refreshed (ask for another). GUEST_TOKENS_PER_MINUTE per client address (429 `too_many_attempts` with Retry-After); 403 when ' +
          'guest tokens are off.',
        security: [],
        response: { 200: GuestResponse, 403: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      if (!ctx.guests) throw new AppError(403, 'forbidden', 'guest access is turned off');
      await ctx.guests.hit(request.ip);
      const { accessToken, guest } = await ctx.issuer.guestToken();
      void reply.header('cache-control', 'no-store');
      return {
        accessToken,
        tokenType: 'Bearer' as const,
        expiresIn: ctx.issuer.accessTokenTtlSec,
        guest: { id: guest.userId, name: guest.name },
      };
    },
  );

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Public keys that verify access tokens',
        description: 'The signing key first, then keys still accepted during a rotation (JWT_VERIFY_KEYS_DIR). Every token names its key by `kid`.',
        security: [],
        response: { 200: JwksResponse },
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=300');
      return ctx.signer.jwks() as Static<typeof JwksResponse>;
    },
  );
};
