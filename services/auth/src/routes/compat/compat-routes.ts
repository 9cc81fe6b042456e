import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, CompatErrorResponse, compatSecurity, isAdmin, principalOf, useCompatErrors } from '@chatorbit/shared';
import { USERNAME_PATTERN } from '../auth/schemas.ts';
import type { AuthRouteContext } from '../context.ts';
import { ChangePasswordBody, CompatLoginBody, CompatLoginResponse, CompatMessage, RegisterBody } from './schemas.ts';

const tags = ['original API'];
const errors = { 400: CompatErrorResponse, 401: CompatErrorResponse, 403: CompatErrorResponse, 429: CompatErrorResponse, 503: CompatErrorResponse };
const USERNAME = new RegExp(USERNAME_PATTERN);

/**
 * The original frontend's auth routes at the root (COMPAT.md): /register, /login, /change-password,
 * /logout. Same accounts and rules as /api/v1/auth; the differences are the shapes, the `token`
 * cookie, and 24 h tokens without refresh (COMPAT_TOKEN_TTL_SEC).
 */
export const compatRoutes: FastifyPluginAsyncTypebox<{ ctx: AuthRouteContext }> = async (app, { ctx }) => {
  const { accounts, issuer, cookies } = ctx;
  useCompatErrors(app);

  // An empty JSON body (a bodyless axios POST, e.g. /logout) is no body rather than a 400.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else json(request, body as string, done);
  });

  app.post(
    '/register',
    {
      schema: {
        tags,
        summary: 'Create an account (original frontend)',
        description: 'As POST /api/v1/auth/signup, answering 200 `{"message":"Registration successful"}`; every error is 400 `{"error":"…"}`.',
        security: [],
        body: RegisterBody,
        response: { 200: CompatMessage, ...errors },
      },
    },
    async (request) => {
      const { email, username, password } = request.body;
      if (!USERNAME.test(username)) throw new AppError(400, 'invalid_body', 'username must be 2–32 letters, digits, _ . or -');
      await accounts.signUp({ email, username, password }).catch((err: unknown) => {
        // The original answered every refusal with 400.
        throw err instanceof AppError ? new AppError(400, err.code, err.message) : err;
      });
      return { message: 'Registration successful' };
    },
  );

  app.post(
    '/login',
    {
      schema: {
        tags,
        summary: 'Log in (original frontend): a 24 h token, also as the `token` cookie',
        description:
          'Same checks and throttling as POST /api/v1/auth/login. Sets the HttpOnly cookie `token` (SameSite=Lax, Path=/, COMPAT_TOKEN_TTL_SEC; ' +
          'Secure as COOKIE_SECURE says, never on plain http in auto). No refresh token: the token lives COMPAT_TOKEN_TTL_SEC (24 h) and ' +
          'cannot be revoked before then.',
        security: [],
        body: CompatLoginBody,
        response: { 200: CompatLoginResponse, ...errors },
      },
    },
    async (request, reply) => {
      const user = await accounts.checkLogin(request.body.email, request.body.password, request.ip);
      const token = await issuer.compatToken(user);
      cookies.setCompat(request, reply, token, issuer.compatTokenTtlSec);
      void reply.header('cache-control', 'no-store');
      return { token, user: { id: user.id, username: user.username, email: user.email, isAdmin: isAdmin(user) } };
    },
  );

  app.post(
    '/change-password',
    {
      schema: {
        tags,
        summary: 'Change your password (original frontend)',
        description:
          'Authenticated by the `token` cookie (or `Authorization: Bearer`). As POST /api/v1/auth/password: every refresh token of the ' +
          'account is revoked; tokens of /login stay valid until they expire.',
        security: compatSecurity,
        body: ChangePasswordBody,
        response: { 200: CompatMessage, ...errors },
      },
      onRequest: app.authenticateCompat,
    },
    async (request) => {
      await accounts.changePassword(principalOf(request), request.body.old_password, request.body.new_password, request.ip);
      return { message: 'Password changed successfully' };
    },
  );

  app.post(
    '/logout',
    {
      schema: {
        tags,
        summary: 'Log out (original frontend): clear the `token` cookie',
        description: 'Always 200. The token itself stays valid until it expires (COMPAT_TOKEN_TTL_SEC): the frontend drops its copy.',
        security: [],
        response: { 200: CompatMessage, ...errors },
      },
    },
    async (request, reply) => {
      cookies.clearCompat(request, reply);
      return { message: 'Logged out' };
    },
  );
};
