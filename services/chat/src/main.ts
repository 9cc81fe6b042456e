import { hostname } from 'node:os';
import type { MongoClient } from 'mongodb';
import {
  connectMongo,
  createRedis,
  createTokenVerifier,
  loadConfig,
  main,
  onShutdown,
  redisKeys,
} from '@chatorbit/shared';
import { chatConfigSchema } from './config.ts';
import { buildChatApp } from './app.ts';
import type { Broker } from './broker/broker.ts';
import { MemoryBroker } from './broker/memory-broker.ts';
import { RedisBroker } from './broker/redis-broker.ts';
import type { MessageLog } from './history/message-log.ts';
import { MemoryMessageLog } from './history/memory-message-log.ts';
import { MongoMessageLog } from './history/mongo-message-log.ts';

main(async () => {
  const config = loadConfig(chatConfigSchema, process.env);
  const nodeId = config.NODE_ID ?? `${hostname()}-${process.pid}`;
  const broker: Broker = config.REDIS_URL
    ? new RedisBroker({
        pub: createRedis(config.REDIS_URL, `chat-${nodeId}-pub`),
        sub: createRedis(config.REDIS_URL, `chat-${nodeId}-sub`),
        keys: redisKeys(config.REDIS_PREFIX),
      })
    : new MemoryBroker();
  let mongo: MongoClient | undefined;
  let log: MessageLog;
  if (config.MONGO_URL) {
    mongo = await connectMongo(config.MONGO_URL);
    log = new MongoMessageLog(mongo.db(config.MONGO_DB));
  } else {
    log = new MemoryMessageLog();
  }
  await log.init();
  const verifier = createTokenVerifier(
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
    new URL(config.AUTH_JWKS_URL),
  );
  const app = await buildChatApp(config, { nodeId, broker, log, verifier });
  if (!config.REDIS_URL) app.log.warn('REDIS_URL unset: in-memory broker, this node cannot share rooms with others');
  if (!config.MONGO_URL) app.log.warn('MONGO_URL unset: messages are kept in memory only');
  onShutdown(app.log, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close();
    await broker.close();
    await mongo?.close();
  });
  await app.listen({ host: config.HOST, port: config.PORT });
});
