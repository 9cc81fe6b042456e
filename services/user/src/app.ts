import type { FastifyInstance } from 'fastify';
import {
  authPlugin,
  compatAuthPlugin,
  healthPlugin,
  createBaseApp,
  type TokenVerifier,
  type UserStore,
} from '@chatorbit/shared';
import type { UserConfig } from './config.ts';
import { userRoutes } from './routes/users/user-routes.ts';
import { userCompatRoutes } from './routes/compat/user-compat.ts';

export interface UserDeps {
  users: UserStore;
  verifier: TokenVerifier;
}

/** The user service: read-only account lookups for holders of an access token. Never listens. */
export async function buildUserApp(config: UserConfig, deps: UserDeps): Promise<FastifyInstance> {
  const app = await createBaseApp('user', config.LOG_LEVEL);
  await app.register(healthPlugin, { checks: { mongo: () => deps.users.ping() } });
  await app.register(authPlugin, { verifier: deps.verifier });
  await app.register(userRoutes, { users: deps.users });
  // The original frontend's GET /user/:id (COMPAT.md).
  await app.register(compatAuthPlugin, { verifier: deps.verifier });
  await app.register(userCompatRoutes, { users: deps.users });
  return app;
}
