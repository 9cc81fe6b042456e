import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CompatErrorResponse, compatSecurity, notFound, useCompatErrors, type UserStore } from '@chatorbit/shared';

const CompatUser = Type.Object(
  {
    id: Type.String({ description: 'Account id (24-hex ObjectId).' }),
    name: Type.String({ description: 'The username.' }),
    email: Type.String(),
  },
  { examples: [{ id: '665f1c2e9b1e8a3d4c5b6a70', name: 'alice', email: 'alice@example.com' }] },
);

/**
 * The original frontend's user lookup (COMPAT.md): GET /user/:id → { id, name, email }, errors
 * `{ "error": "<message>" }`. It carries the email, so it needs a token: the frontend sends its
 * requests with credentials, so the `token` cookie POST /login set comes along (a bearer token
 * works too). Needs compatAuthPlugin registered first.
 */
export const userCompatRoutes: FastifyPluginAsyncTypebox<{ users: UserStore }> = async (app, { users }) => {
  useCompatErrors(app);
  app.addHook('onRequest', app.authenticateCompat);

  app.get(
    '/user/:id',
    {
      schema: {
        tags: ['original API'],
        summary: 'An account by id, in the original shape',
        security: compatSecurity,
        description: 'Token in `Authorization: Bearer` or the `token` cookie. `name` is the username.',
        params: Type.Object({ id: Type.String({ pattern: '^[0-9A-Fa-f]{24}$', description: 'Account id (24-hex ObjectId).' }) }),
        response: { 200: CompatUser, 400: CompatErrorResponse, 401: CompatErrorResponse, 404: CompatErrorResponse, 503: CompatErrorResponse },
      },
    },
    async (request) => {
      const user = await users.findById(request.params.id.toLowerCase());
      if (!user) throw notFound('user');
      return { id: user.id, name: user.username, email: user.email };
    },
  );
};
