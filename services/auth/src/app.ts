import type { FastifyInstance } from 'fastify';
import {
  healthPlugin,
  createBaseApp,
  type TokenSigner,
  type UserStore,
} from '@chatorbit/shared';
import type { AuthConfig } from './config.ts';
import { PasswordHasher } from './passwords/password-hasher.ts';
import { authRoutes } from './routes/auth/auth-routes.ts';

export interface AuthDeps {
  users: UserStore;
  signer: TokenSigner;
}

/** The auth service: accounts, logins, and the public keys of its tokens. Never listens. */
export async function buildAuthApp(config: AuthConfig, deps: AuthDeps): Promise<FastifyInstance> {
  const app = await createBaseApp('auth', config.LOG_LEVEL);
  await app.register(healthPlugin, { checks: { mongo: () => deps.users.ping() } });
  await app.register(authRoutes, {
    users: deps.users,
    signer: deps.signer,
    passwords: new PasswordHasher(),
    accessTokenTtlSec: config.ACCESS_TOKEN_TTL_SEC,
  });
  return app;
}
