import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import {
  connectMongo,
  createTokenVerifier,
  loadConfig,
  main,
  MemoryUserStore,
  MongoUserStore,
  onShutdown,
  redisConfigured,
  redisConnector,
} from '@chatorbit/shared';
import { chatConfigSchema } from './config.ts';
import { buildChatApp } from './app.ts';
import { createChatEngine } from './engine.ts';

main(async () => {
  const config = loadConfig(chatConfigSchema, process.env);
  const nodeId = config.NODE_ID ?? `${hostname()}-${process.pid}`;
  const mongo = config.MONGO_URL ? await connectMongo(config.MONGO_URL) : undefined;
  let log: FastifyBaseLogger | undefined;
  const withRedis = redisConfigured(config);
  const engine = await createChatEngine(config, nodeId, {
    ...(withRedis ? { redis: redisConnector(config, `chat-${nodeId}`, (role, err) => log?.warn({ err, role }, 'redis connection error')) } : {}),
    ...(mongo ? { db: mongo.db(config.MONGO_DB) } : {}),
  });
  const verifier = createTokenVerifier(
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
    new URL(config.AUTH_JWKS_URL),
  );
  // Moderation looks its targets up in the accounts the auth service keeps (same database).
  const users = mongo ? new MongoUserStore(mongo.db(config.MONGO_DB)) : new MemoryUserStore();
  const app = await buildChatApp(config, { nodeId, verifier, users, ...engine });
  log = app.log;
  if (!withRedis) app.log.warn('Redis is not configured: in-memory broker, this node cannot share rooms with others');
  if (!mongo) app.log.warn('MONGO_URL unset: messages are kept in memory only');
  onShutdown(app.log, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close();
    await engine.close();
    await mongo?.close();
  });
  await app.listen({ host: config.HOST, port: config.PORT });
});
