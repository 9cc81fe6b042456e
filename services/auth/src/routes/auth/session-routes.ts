import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isGuest, principalOf, toPublicUser, unauthorized, type RefreshRefusal, type UserRecord } from '@chatorbit/shared';
import { guestHasNoAccount } from '../../accounts.ts';
import { REFRESH_COOKIE } from '../../cookies.ts';
import type { IssuedSession } from '../../session-issuer.ts';
import type { AuthRouteContext } from '../context.ts';
import { ErrorResponse, LoginBody, NoContent, RefreshBody, SessionResponse } from './schemas.ts';

const tags = ['sessions'];

const refusals: Record<RefreshRefusal | 'account', string> = {
  unknown: 'the refresh token is invalid',
  expired: 'the refresh token has expired',
  revoked: 'the refresh token has been revoked',
  reused: 'the refresh token was already used: every token of its session is now revoked',
  account: 'the account of this session is gone or deactivated',
};

/**
 * Login, refresh, logout. Two modes, chosen by the client: bearer (the refresh token travels in
 * JSON bodies) and cookie (`"cookie": true` at login; the refresh token then lives in the HttpOnly
 * cookie orbit_refresh, and refresh and logout read it when the body names no token).
 */
export const sessionRoutes: FastifyPluginAsyncTypebox<{ ctx: AuthRouteContext }> = async (app, { ctx }) => {
  const { accounts, issuer, sessions, users, cookies } = ctx;

  function sessionReply(request: FastifyRequest, reply: FastifyReply, user: UserRecord, session: IssuedSession, cookieMode: boolean) {
    void reply.header('cache-control', 'no-store');
    const refreshExpiresIn = issuer.refreshTokenTtlSec;
    if (cookieMode) cookies.setRefresh(request, reply, session.refresh.token, refreshExpiresIn);
    return {
      accessToken: session.accessToken,
      tokenType: 'Bearer' as const,
      expiresIn: issuer.accessTokenTtlSec,
      ...(cookieMode ? {} : { refreshToken: session.refresh.token }),
      refreshExpiresIn,
      user: toPublicUser(user),
    };
  }

  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in: an access token and a refresh token',
        description:
          '`login` is a username or an email address. An unknown login and a wrong password get the same 401. A deactivated account gets 403 ' +
          '`account_deactivated` (only with the right password). Attempts are throttled per account name and per client address: past ' +
          'LOGIN_FREE_ATTEMPTS each must wait a doubling delay, 429 `too_many_attempts` with Retry-After. `"cookie": true` sets the refresh ' +
          'token as an HttpOnly cookie instead of returning it.',
        security: [],
        body: LoginBody,
        response: { 200: SessionResponse, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { login, password, cookie } = request.body;
      const user = await accounts.checkLogin(login, password, request.ip);
      // Roles and name are read now: a role given or taken away shows in tokens issued after that.
      return sessionReply(request, reply, user, await issuer.issue(user), cookie === true);
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      schema: {
        tags,
        summary: 'Trade a refresh token for a new access token and a new refresh token',
        description:
          'The refresh token is used up: the response carries its successor (in the body, or in the cookie when the token came from the cookie). ' +
          'Presenting a refresh token a second time revokes its whole session (someone else holds a copy): both holders must log in again, ' +
          'so a client must not refresh twice concurrently with one token. The account is read again: current roles and name; a deactivated ' +
          'or deleted account ends the session (401).',
        security: [],
        body: RefreshBody,
        response: { 200: SessionResponse, 400: ErrorResponse, 401: ErrorResponse },
      },
    },
    async (request, reply) => {
      const cookieMode = request.body.refreshToken === undefined;
      const token = request.body.refreshToken ?? request.cookies[REFRESH_COOKIE];
      if (!token) throw unauthorized('a refresh token is required: `refreshToken` in the body, or the orbit_refresh cookie');
      const refuse = (why: RefreshRefusal | 'account') => {
        if (cookieMode) cookies.clearRefresh(request, reply);
        return unauthorized(refusals[why]);
      };
      const result = await sessions.consume(token);
      if (!result.ok) throw refuse(result.reason);
      const user = await users.findById(result.userId);
      if (!user || user.deactivatedAt) {
        await sessions.revokeFamily(result.familyId);
        throw refuse('account');
      }
      return sessionReply(request, reply, user, await issuer.issue(user, result.familyId), cookieMode);
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      schema: {
        tags,
        summary: 'Log out: revoke this session',
        description:
          'Revokes the session of the refresh token given (body, or the orbit_refresh cookie) and clears the cookie. Always 204, also for an ' +
          'unknown or spent token. The access token lives on until it expires: drop it.',
        security: [],
        body: RefreshBody,
        response: { 204: NoContent, 400: ErrorResponse },
      },
    },
    async (request, reply) => {
      const token = request.body.refreshToken ?? request.cookies[REFRESH_COOKIE];
      if (token) await sessions.revokeToken(token);
      cookies.clearRefresh(request, reply);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/logout-all',
    {
      schema: {
        tags,
        summary: 'Log out everywhere: revoke every session of your account',
        description: 'Needs the access token (`Authorization: Bearer`). Guests have no sessions (403).',
        response: { 204: NoContent, 401: ErrorResponse, 403: ErrorResponse },
      },
      onRequest: app.authenticate,
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (isGuest(principal)) throw guestHasNoAccount();
      await sessions.revokeAllForUser(principal.userId);
      cookies.clearRefresh(request, reply);
      return reply.status(204).send(null);
    },
  );
};
