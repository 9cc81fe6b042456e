import { MemoryUserStore, MongoUserStore, connectMongo, main, onShutdown } from '@chatorbit/shared';
import { ensureAdmin } from './admin.ts';
import { buildAuthApp } from './app.ts';
import { loadAuthConfig } from './config.ts';
import { PasswordHasher } from './passwords/password-hasher.ts';
import { loadSigner } from './signing-key.ts';

main(async () => {
  const config = loadAuthConfig(process.env);
  const signer = await loadSigner(config);
  const mongo = config.MONGO_URL ? await connectMongo(config.MONGO_URL) : undefined;
  const users = mongo ? new MongoUserStore(mongo.db(config.MONGO_DB)) : new MemoryUserStore();
  await users.init();

  const app = await buildAuthApp(config, { users, signer });
  if (!mongo) app.log.warn('MONGO_URL is not set: accounts are kept in memory and lost when the process exits');
  if (!config.JWT_PRIVATE_KEY && !config.JWT_PRIVATE_KEY_FILE) {
    app.log.warn('no JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE: signing with a generated key; tokens die with the process');
  }
  await ensureAdmin(users, new PasswordHasher(), config, app.log);
  onShutdown(app.log, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await app.close();
    await mongo?.close();
  });
  await app.listen({ host: config.HOST, port: config.PORT });
});
