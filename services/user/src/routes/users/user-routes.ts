import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound, principalOf, toPublicUser, type UserStore } from '@chatorbit/shared';
import { ErrorResponse, PublicUser, UserParams } from './schemas.ts';

export interface UserRoutesOptions {
  users: UserStore;
}

const errors = { 401: ErrorResponse, 404: ErrorResponse };

/** Read-only account lookups. Needs the shared authPlugin registered first (`app.authenticate`). */
export const userRoutes: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (app, { users }) => {
  // onRequest rather than preHandler: without a valid token a request is rejected with 401 before
  // its params or body are even looked at.
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/api/v1/users/me',
    { schema: { summary: 'The account of the access token', response: { 200: PublicUser, ...errors } } },
    async (request) => {
      const user = await users.findById(principalOf(request).userId);
      if (!user) throw notFound('user');
      return toPublicUser(user);
    },
  );

  app.get(
    '/api/v1/users/:id',
    {
      schema: {
        summary: 'An account by id',
        params: UserParams,
        response: { 200: PublicUser, 400: ErrorResponse, ...errors },
      },
    },
    async (request) => {
      const user = await users.findById(request.params.id.toLowerCase());
      if (!user) throw notFound('user');
      return toPublicUser(user);
    },
  );
};
