import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieSerializeOptions } from '@fastify/cookie';
import { COMPAT_TOKEN_COOKIE } from '@chatorbit/shared';
import type { AuthConfig } from './config.ts';

/** The refresh token in cookie mode: sent only to the auth routes, which are all that need it. */
export const REFRESH_COOKIE = 'orbit_refresh';
export const REFRESH_COOKIE_PATH = '/api/v1/auth';

/** Sets and clears auth's cookies: always HttpOnly and SameSite=Lax; Secure as COOKIE_SECURE says. */
export class Cookies {
  private readonly secureMode: AuthConfig['COOKIE_SECURE'];

  constructor(secureMode: AuthConfig['COOKIE_SECURE']) {
    this.secureMode = secureMode;
  }

  setRefresh(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSec: number) {
    void reply.setCookie(REFRESH_COOKIE, token, { ...this.options(request, REFRESH_COOKIE_PATH), maxAge: maxAgeSec });
  }

  clearRefresh(request: FastifyRequest, reply: FastifyReply) {
    void reply.clearCookie(REFRESH_COOKIE, this.options(request, REFRESH_COOKIE_PATH));
  }

  /** The original frontend's cookie (COMPAT.md): its access token, on every path. */
  setCompat(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSec: number) {
    void reply.setCookie(COMPAT_TOKEN_COOKIE, token, { ...this.options(request, '/'), maxAge: maxAgeSec });
  }

  clearCompat(request: FastifyRequest, reply: FastifyReply) {
    void reply.clearCookie(COMPAT_TOKEN_COOKIE, this.options(request, '/'));
  }

  /** auto: Secure exactly when the browser is on https (as X-Forwarded-Proto tells, from a trusted proxy). */
  private options(request: FastifyRequest, path: string): CookieSerializeOptions {
    const secure = this.secureMode === 'true' || (this.secureMode === 'auto' && request.protocol === 'https');
    return { path, httpOnly: true, sameSite: 'lax', secure };
  }
}
