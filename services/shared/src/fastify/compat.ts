import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { unauthorized } from '../errors.ts';
import { TokenVerifierUnavailableError, extractToken, type TokenVerifier } from '../tokens.ts';
import { httpErrorOf } from './errors.ts';

/**
 * The routes of the original frontend's API (docs: /work/shared/COMPAT.md, README "The original
 * frontend") answer errors as `{ "error": "<message>" }`: the frontend renders `error` as text,
 * and an object there would crash its page.
 */
export const CompatErrorResponse = Type.Object(
  { error: Type.String({ description: 'What went wrong, as text.' }) },
  { description: 'Error body of the original API: a string, never an object.', examples: [{ error: 'user not found' }] },
);

/** The cookie POST /login sets; the original API authenticates by it. */
export const COMPAT_TOKEN_COOKIE = 'token';

/** OpenAPI `security` of a route that takes `authenticateCompat`: a bearer token, or the cookie. */
export const compatSecurity: Array<Record<string, string[]>> = [{ bearer: [] }, { tokenCookie: [] }];

/**
 * Makes every error of this (encapsulated) scope `{ error: "<message>" }`, with the same status
 * and message the one error handler gives. Call it first in a plugin that holds compat routes.
 */
export function useCompatErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, message } = httpErrorOf(error, request, reply);
    void reply.status(status).send({ error: message });
  });
}

/** The value of cookie `name` in a Cookie header, if present. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    const raw = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    try {
      return decodeURIComponent(raw) || undefined;
    } catch {
      return raw || undefined;
    }
  }
  return undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Like `authenticate`, for the original API's routes: the token comes from
     * `Authorization: Bearer`, or else from the `token` cookie POST /login set (the original
     * frontend sends requests with credentials, not always with a bearer token).
     */
    authenticateCompat: (request: FastifyRequest) => Promise<void>;
  }
}

/** Decorates `authenticateCompat`; needs authPlugin (which declares `request.principal`). */
export const compatAuthPlugin = fp<{ verifier: TokenVerifier }>(
  async (app, { verifier }) => {
    app.decorate('authenticateCompat', async (request: FastifyRequest) => {
      const token = extractToken(request.headers.authorization, cookieValue(request.headers.cookie, COMPAT_TOKEN_COOKIE));
      if (!token) throw unauthorized();
      try {
        request.principal = await verifier.verify(token);
      } catch (err) {
        if (err instanceof TokenVerifierUnavailableError) throw err;
        throw unauthorized('the access token is invalid or expired');
      }
    });
  },
  { name: 'chatorbit-compat-auth', dependencies: ['chatorbit-auth'] },
);
