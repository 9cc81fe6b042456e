import type { FastifyError } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, isAdmin, isUnavailableError } from '@chatorbit/shared';
import { COMPAT_COOKIE } from '../../cookies.ts';
import { requestPrincipal } from '../../request-principal.ts';
import { USERNAME_PATTERN } from '../auth/schemas.ts';
import type { AuthRouteContext } from '../context.ts';
import { ChangePasswordBody, CompatError, CompatLoginBody, CompatLoginResponse, CompatMessage, RegisterBody } from './schemas.ts';

const tags = ['compat'];
const errors = { 400: CompatError, 401: CompatError, 403: CompatError, 429: CompatError, 500: CompatError, 503: CompatError };
const USERNAME = new RegExp(USERNAME_PATTERN);

/** Status and text of an error on these routes: the shared rules, with a string body. */
function compatError(error: FastifyError): { status: number; message: string } {
  if (error instanceof AppError) return { status: error.statusCode, message: error.message };
  if (isUnavailableError(error)) return { status: 503, message: 'the service is unavailable; try again' };
  // "body/password must be string" → "password must be string"; "body must be object" → "the request body must be object".
  if (error.validation) return { status: 400, message: error.message.replace(/^body\//, '').replace(/^body /, 'the request body ') };
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return { status: error.statusCode, message: error.message };
  if (error instanceof SyntaxError) return { status: 400, message: 'the body is not valid JSON' };
  return { status: 500, message: 'internal error' };
}

/**
 * The original frontend's auth routes at the root (COMPAT.md): /register, /login, /change-password,
 * /logout. Same accounts and rules as /api/v1/auth; the differences are the shapes, the `token`
 * cookie, and 24 h tokens without refresh (COMPAT_TOKEN_TTL_SEC).
 */
export const compatRoutes: FastifyPluginAsyncTypebox<{ ctx: AuthRouteContext }> = async (app, { ctx }) => {
  const { accounts, issuer, cookies } = ctx;

  // An empty JSON body (a bodyless axios POST, e.g. /logout) is no body rather than a 400.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else json(request, body as string, done);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, message } = compatError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    if (status === 503) void reply.header('retry-after', '1');
    void reply.status(status).send({ error: message });
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
        body: ChangePasswordBody,
        response: { 200: CompatMessage, ...errors },
      },
    },
    async (request) => {
      const principal = await requestPrincipal(request, ctx.verifier, COMPAT_COOKIE);
      await accounts.changePassword(principal, request.body.old_password, request.body.new_password, request.ip);
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
