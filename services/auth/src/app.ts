import type { FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import {
  MemoryRefreshTokenStore,
  authPlugin,
  compatAuthPlugin,
  createBaseApp,
  createTokenVerifier,
  healthPlugin,
  redisKeys,
  type ReadinessChecks,
  type RefreshTokenStore,
  type TokenSigner,
  type UserStore,
} from '@chatorbit/shared';
import { Accounts } from './accounts.ts';
import type { AuthConfig } from './config.ts';
import { Cookies } from './cookies.ts';
import { PasswordHasher } from './passwords/password-hasher.ts';
import { accountRoutes } from './routes/auth/account-routes.ts';
import { guestAndKeyRoutes } from './routes/auth/guest-routes.ts';
import { sessionRoutes } from './routes/auth/session-routes.ts';
import { compatRoutes } from './routes/compat/compat-routes.ts';
import type { AuthRouteContext } from './routes/context.ts';
import { SessionIssuer } from './session-issuer.ts';
import { AddressRateLimit, LoginThrottle, ThrottledError } from './throttle/login-throttle.ts';
import { MemoryThrottleStore } from './throttle/memory-throttle-store.ts';
import type { ThrottleStore } from './throttle/throttle-store.ts';

export interface AuthDeps {
  users: UserStore;
  signer: TokenSigner;
  /** Refresh tokens: a MongoRefreshTokenStore shared by every replica; default in memory (one process). */
  sessions?: RefreshTokenStore;
  /** Login and guest throttles: a RedisThrottleStore shared by every replica; default in memory (one process). */
  throttle?: ThrottleStore;
  /** Default: scrypt with its default cost. */
  passwords?: PasswordHasher;
  /** The throttle's clock (ms); tests move it. */
  now?: () => number;
}

/** Expired refresh tokens are deleted this often (MongoDB keeps them otherwise: no TTL index). */
const PURGE_EVERY_MS = 60 * 60 * 1000;

/** The auth service: accounts, logins and sessions, guest tokens, the public keys. Never listens. */
export async function buildAuthApp(config: AuthConfig, deps: AuthDeps): Promise<FastifyInstance> {
  const sessions = deps.sessions ?? new MemoryRefreshTokenStore();
  const throttleStore = deps.throttle ?? new MemoryThrottleStore();
  const now = deps.now ?? Date.now;
  const keys = redisKeys(config.REDIS_PREFIX);
  const throttle = new LoginThrottle(
    throttleStore,
    keys,
    {
      accountFree: config.LOGIN_FREE_ATTEMPTS,
      ipFree: config.LOGIN_IP_FREE_ATTEMPTS,
      baseMs: config.LOGIN_BACKOFF_BASE_SEC * 1000,
      maxMs: config.LOGIN_BACKOFF_MAX_SEC * 1000,
      windowMs: config.LOGIN_THROTTLE_WINDOW_SEC * 1000,
    },
    now,
  );
  const ctx: AuthRouteContext = {
    users: deps.users,
    sessions,
    signer: deps.signer,
    accounts: new Accounts({ users: deps.users, passwords: deps.passwords ?? new PasswordHasher(), throttle, sessions }),
    issuer: new SessionIssuer({
      signer: deps.signer,
      sessions,
      accessTokenTtlSec: config.ACCESS_TOKEN_TTL_SEC,
      refreshTokenTtlSec: config.REFRESH_TOKEN_TTL_SEC,
      compatTokenTtlSec: config.COMPAT_TOKEN_TTL_SEC,
    }),
    verifier: createTokenVerifier({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }, deps.signer.jwks()),
    cookies: new Cookies(config.COOKIE_SECURE),
    guests:
      config.GUEST_TOKENS_PER_MINUTE > 0
        ? new AddressRateLimit(throttleStore, { key: keys.guestIp, limit: config.GUEST_TOKENS_PER_MINUTE, windowMs: 60_000, what: 'guest tokens' }, now)
        : undefined,
  };

  const app = await createBaseApp('auth', config.LOG_LEVEL);
  const checks: ReadinessChecks = { mongo: () => deps.users.ping() };
  if (throttleStore.backend === 'redis') checks.redis = () => throttleStore.ping();
  await app.register(healthPlugin, { checks });
  await app.register(fastifyCookie);
  await app.register(authPlugin, { verifier: ctx.verifier });
  await app.register(compatAuthPlugin, { verifier: ctx.verifier });
  app.addHook('onError', async (_request, reply, error) => {
    if (error instanceof ThrottledError) void reply.header('retry-after', String(error.retryAfterSec));
  });
  await app.register(accountRoutes, { ctx });
  await app.register(sessionRoutes, { ctx });
  await app.register(guestAndKeyRoutes, { ctx });
  await app.register(compatRoutes, { ctx });

  const purge = setInterval(() => {
    sessions.purgeExpired().catch((err: unknown) => app.log.warn({ err }, 'purging expired refresh tokens failed'));
  }, PURGE_EVERY_MS);
  purge.unref();
  app.addHook('onClose', async () => clearInterval(purge));
  return app;
}
