import {
  MemoryUserStore,
  MongoUserStore,
  connectMongo,
  createTokenVerifier,
  loadConfig,
  main,
  onShutdown,
} from '@chatorbit/shared';
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

  const app = await buildUserApp(config, { users, verifier });
  if (!mongo) {
    app.log.warn('MONGO_URL is not set: this process only sees its own in-memory accounts (none; use the standalone mode)');
  }
  onShutdown(app.log, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close();
    await mongo?.close();
  });
  await app.listen({ host: config.HOST, port: config.PORT });
});
