import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { AppError, DuplicateUserError, conflict, toPublicUser, type TokenSigner, type UserStore } from '@chatorbit/shared';
import type { PasswordHasher } from '../../passwords/password-hasher.ts';
import { ErrorResponse, JwksResponse, LoginBody, LoginResponse, SignupBody, SignupResponse } from './schemas.ts';

export interface AuthRoutesOptions {
  users: UserStore;
  signer: TokenSigner;
  passwords: PasswordHasher;
  accessTokenTtlSec: number;
}

/** One message for an unknown login and a wrong password alike, so responses do not reveal accounts. */
const invalidLogin = () => new AppError(401, 'unauthorized', 'invalid login or password');

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, opts) => {
  const { users, signer, passwords, accessTokenTtlSec } = opts;

  app.post(
    '/api/v1/auth/signup',
    {
      schema: {
        summary: 'Create an account',
        body: SignupBody,
        response: { 201: SignupResponse, 400: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { username, email, password } = request.body;
      if (password.toLowerCase() === username.toLowerCase()) {
        throw new AppError(400, 'invalid_body', 'password must not equal the username');
      }
      const passwordHash = await passwords.hash(password);
      const user = await users.create({ username, email, passwordHash }).catch((err: unknown) => {
        throw err instanceof DuplicateUserError ? conflict(err.message) : err;
      });
      void reply.status(201);
      return { user: toPublicUser(user) };
    },
  );

  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        summary: 'Exchange a username or email and password for an access token',
        body: LoginBody,
        response: { 200: LoginResponse, 400: ErrorResponse, 401: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { login, password } = request.body;
      const user = await users.findByLogin(login);
      const ok = await passwords.verify(password, user?.passwordHash);
      if (!user || !ok) throw invalidLogin();
      // Roles are read at login: a role given or taken away shows in tokens issued after that.
      const accessToken = await signer.sign({ userId: user.id, name: user.username, roles: user.roles }, accessTokenTtlSec);
      void reply.header('cache-control', 'no-store');
      return { accessToken, tokenType: 'Bearer' as const, expiresIn: accessTokenTtlSec, user: toPublicUser(user) };
    },
  );

  app.get(
    '/.well-known/jwks.json',
    { schema: { summary: 'Public keys that verify access tokens', response: { 200: JwksResponse } } },
    async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=300');
      return signer.jwks() as Static<typeof JwksResponse>;
    },
  );
};
