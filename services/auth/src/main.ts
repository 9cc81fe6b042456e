import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import {
  MemoryRefreshTokenStore,
  MemoryUserStore,
  MongoRefreshTokenStore,
  MongoUserStore,
  connectMongo,
  main,
  onShutdown,
  redisConfigured,
  redisConnector,
} from '@chatorbit/shared';
import { ensureAdmin } from './admin.ts';
import { buildAuthApp } from './app.ts';
import { loadAuthConfig } from './config.ts';
import { PasswordHasher } from './passwords/password-hasher.ts';
import { loadSigner } from './signing-key.ts';
import { MemoryThrottleStore } from './throttle/memory-throttle-store.ts';
import { RedisThrottleStore } from './throttle/redis-throttle-store.ts';

main(async () => {
  const config = loadAuthConfig(process.env);
  const signer = await loadSigner(config);
  const mongo = config.MONGO_URL ? await connectMongo(config.MONGO_URL) : undefined;
  const db = mongo?.db(config.MONGO_DB);
  const users = db ? new MongoUserStore(db) : new MemoryUserStore();
  const sessions = db ? new MongoRefreshTokenStore(db) : new MemoryRefreshTokenStore();
  await users.init();
  await sessions.init();
  let log: FastifyInstance['log'] | undefined;
  const redis = redisConfigured(config)
    ? redisConnector(config, `auth-${hostname()}-${process.pid}`, (role, err) => log?.warn({ err, role }, 'redis connection error'))('throttle')
    : undefined;
  const throttle = redis ? new RedisThrottleStore(redis) : new MemoryThrottleStore();

  const app = await buildAuthApp(config, { users, signer, sessions, throttle });
  log = app.log;
  if (!mongo) app.log.warn('MONGO_URL is not set: accounts and sessions are kept in memory and lost when the process exits');
  if (!redis) app.log.warn('Redis is not configured: login throttling counts in this process only');
  if (!config.JWT_PRIVATE_KEY && !config.JWT_PRIVATE_KEY_FILE) {
    app.log.warn('no JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE: signing with a generated key; tokens die with the process');
  }
  app.log.info({ kid: signer.kid, accepted: signer.jwks().keys.slice(1).map((k) => k.kid) }, 'token keys');
  await ensureAdmin(users, new PasswordHasher(), config, app.log);
  onShutdown(app.log, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close();
    await redis?.quit().catch(() => redis.disconnect());
    await mongo?.close();
  });
  await app.listen({ host: config.HOST, port: config.PORT });
});
