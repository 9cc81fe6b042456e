import type { FastifyInstance } from 'fastify';
import {
  authPlugin,
  healthPlugin,
  createBaseApp,
  type TokenVerifier,
  type UserStore,
} from '@chatorbit/shared';
import type { UserConfig } from './config.ts';
import { userRoutes } from './routes/users/user-routes.ts';

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
  return app;
}
