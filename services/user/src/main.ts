import { hostname } from 'node:os';
import {
  MemoryDeactivations,
  MemoryUserStore,
  MongoRefreshTokenStore,
  MongoUserStore,
  RedisDeactivations,
  connectMongo,
  createRedisFromConfig,
  createTokenVerifier,
  loadConfig,
  main,
  onShutdown,
  redisKeys,
} from '@chatorbit/shared';
import type { FastifyBaseLogger } from 'fastify';
import { buildUserApp } from './app.ts';
import { userConfigSchema } from './config.ts';

main(async () => {
  const config = loadConfig(userConfigSchema, process.env);
  const verifier = createTokenVerifier(
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
    new URL(config.AUTH_JWKS_URL),
  );
  const mongo = config.MONGO_URL ? await connectMongo(config.MONGO_URL) : undefined;
  const users = mongo ? new MongoUserStore(mongo.db(config.MONGO_DB)) : new MemoryUserStore();
  await users.init();
  // Deactivations reach chat through Redis: the set chat checks, and the control channel.
  const node = `user-${hostname()}-${process.pid}`;
  let log: FastifyBaseLogger | undefined;
  const redis = createRedisFromConfig(config, node);
  redis?.on('error', (err: Error) => log?.warn({ err }, 'redis connection error'));
  const deactivations = redis ? new RedisDeactivations(redis, redisKeys(config.REDIS_PREFIX), node) : new MemoryDeactivations();

  // Auth's sessions live in the same database: a deactivation revokes them.
  const refreshTokens = mongo ? new MongoRefreshTokenStore(mongo.db(config.MONGO_DB)) : undefined;

  const app = await buildUserApp(config, { users, verifier, deactivations, ...(refreshTokens ? { refreshTokens } : {}) });
  log = app.log;
  if (!mongo) {
    app.log.warn('MONGO_URL is not set: this process only sees its own in-memory accounts (none; use the standalone mode)');
  }
  if (!redis) app.log.warn('Redis is not configured: deactivating an account cannot reach the chat nodes (set REDIS_URL or REDIS_SENTINELS)');
  onShutdown(app.log, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close();
    await redis?.quit().catch(() => redis.disconnect());
    await mongo?.close();
  });
  await app.listen({ host: config.HOST, port: config.PORT });
});
