import type { FastifyInstance } from 'fastify';
import {
  authPlugin,
  compatAuthPlugin,
  healthPlugin,
  createBaseApp,
  MemoryDeactivations,
  type Deactivations,
  type TokenVerifier,
  type UserStore,
} from '@chatorbit/shared';
import type { UserConfig } from './config.ts';
import { userRoutes, type RefreshTokenRevoker } from './routes/users/user-routes.ts';
import { userCompatRoutes } from './routes/compat/user-compat.ts';

export interface UserDeps {
  users: UserStore;
  verifier: TokenVerifier;
  /**
   * Where deactivations are recorded for chat and announced to its nodes: Redis
   * (RedisDeactivations), or in one process the chat engine's own (`engine.deactivations`).
   * Default: one of this process's own, which no chat node hears.
   */
  deactivations?: Deactivations;
  /** Revokes an account's refresh tokens when it is deactivated (auth's RefreshTokenStore, same database). */
  refreshTokens?: RefreshTokenRevoker;
}

/** The user service: profiles, lookups and search, and account deactivation. Never listens. */
export async function buildUserApp(config: UserConfig, deps: UserDeps): Promise<FastifyInstance> {
  const app = await createBaseApp('user', config.LOG_LEVEL);
  const { deactivations } = deps;
  await app.register(healthPlugin, {
    checks: { mongo: () => deps.users.ping(), ...(deactivations ? { deactivations: () => deactivations.ping() } : {}) },
  });
  // The account record is what this service reads anyway: a deactivated account's token is
  // refused by the record itself (one lookup by id), whatever Redis holds.
  await app.register(authPlugin, {
    verifier: deps.verifier,
    isDeactivated: async (userId) => Boolean((await deps.users.findById(userId))?.deactivatedAt),
  });
  await app.register(userRoutes, {
    users: deps.users,
    deactivations: deactivations ?? new MemoryDeactivations(),
    ...(deps.refreshTokens ? { refreshTokens: deps.refreshTokens } : {}),
  });
  // The original frontend's GET /user/:id (COMPAT.md).
  await app.register(compatAuthPlugin, { verifier: deps.verifier });
  await app.register(userCompatRoutes, { users: deps.users });
  return app;
}
