import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, toPublicUser } from '@chatorbit/shared';
import type { AuthRouteContext } from '../context.ts';
import { ErrorResponse, NoContent, PasswordBody, SignupBody, SignupResponse } from './schemas.ts';

const tags = ['accounts'];

/** Sign-up and password change. */
export const accountRoutes: FastifyPluginAsyncTypebox<{ ctx: AuthRouteContext }> = async (app, { ctx }) => {
  app.post(
    '/api/v1/auth/signup',
    {
      schema: {
        tags,
        summary: 'Create an account',
        description: 'The password must have 8–256 characters and differ from the username and the email address. Log in afterwards.',
        security: [],
        body: SignupBody,
        response: { 201: SignupResponse, 400: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const user = await ctx.accounts.signUp(request.body);
      void reply.status(201);
      return { user: toPublicUser(user) };
    },
  );

  app.post(
    '/api/v1/auth/password',
    {
      schema: {
        tags,
        summary: 'Change your password; every session ends',
        description:
          'Needs the access token (`Authorization: Bearer`) and the current password (403 `forbidden` when wrong; throttled like logins, 429 ' +
          '`too_many_attempts` with Retry-After). Every refresh token of the account is revoked, this session\'s too: log in again with the new ' +
          'password. Access tokens already issued stay valid until they expire (ACCESS_TOKEN_TTL_SEC).',
        body: PasswordBody,
        response: { 204: NoContent, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 429: ErrorResponse },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      await ctx.accounts.changePassword(principalOf(request), request.body.currentPassword, request.body.newPassword, request.ip);
      ctx.cookies.clearRefresh(request, reply);
      return reply.status(204).send(null);
    },
  );
};
