import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { MongoClient } from 'mongodb';
import {
  connectMongo,
  redisConfigured,
  redisConnector,
  createTokenVerifier,
  loadConfig,
  MemoryUserStore,
  MongoUserStore,
  type UserStore,
} from '@chatorbit/shared';
import { buildAuthApp, ensureAdmin, loadAuthConfig, loadSigner, PasswordHasher } from '@chatorbit/auth';
import { buildUserApp, userConfigSchema } from '@chatorbit/user';
import { buildChatApp, chatConfigSchema, createChatEngine } from '@chatorbit/chat';
import { buildGatewayApp, gatewayConfigSchema } from '@chatorbit/gateway';

export interface Standalone {
  gateway: FastifyInstance;
  /** The gateway's address, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Every service's app, the gateway's included (tests read their routes). */
  apps: Record<'auth' | 'user' | 'chat' | 'gateway', FastifyInstance>;
  close(): Promise<void>;
}

/**
 * All four services in one process: auth, user and chat on loopback ports of their own, the
 * gateway on PORT in front of them, exactly as they are wired when deployed apart. With
 * REDIS_URL / MONGO_URL unset they share the in-memory engine; set, they use Redis and MongoDB
 * (and more chat nodes can join from other processes).
 */
export async function startStandalone(env: Record<string, string | undefined>): Promise<Standalone> {
  const inner = { ...env, HOST: '127.0.0.1', PORT: '0' };
  const authConfig = loadAuthConfig(inner);
  const userConfig = loadConfig(userConfigSchema, inner);
  const chatConfig = loadConfig(chatConfigSchema, inner);
  const gatewayConfig = loadConfig(gatewayConfigSchema, env);

  const mongo: MongoClient | undefined = authConfig.MONGO_URL ? await connectMongo(authConfig.MONGO_URL) : undefined;
  const db = mongo?.db(authConfig.MONGO_DB);
  const users: UserStore = db ? new MongoUserStore(db) : new MemoryUserStore();
  await users.init();
  const nodeId = chatConfig.NODE_ID ?? `${hostname()}-${process.pid}`;
  let log: FastifyInstance['log'] | undefined;
  const withRedis = redisConfigured(chatConfig);
  const engine = await createChatEngine(chatConfig, nodeId, {
    ...(withRedis ? { redis: redisConnector(chatConfig, `chat-${nodeId}`, (role, err) => log?.warn({ err, role }, 'redis connection error')) } : {}),
    ...(db ? { db } : {}),
  });

  const tokenSettings = { issuer: authConfig.JWT_ISSUER, audience: authConfig.JWT_AUDIENCE };
  const signer = await loadSigner(authConfig);
  // In one process the services verify against the signer's keys directly: no JWKS round trip.
  const verifier = createTokenVerifier(tokenSettings, signer.jwks());

  const started: FastifyInstance[] = [];
  const listen = async (app: FastifyInstance, host: string, port: number) => {
    await app.listen({ host, port });
    started.push(app);
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  };
  try {
    const authApp = await buildAuthApp(authConfig, { users, signer });
    const auth = await listen(authApp, '127.0.0.1', 0);
    // Before the gateway listens: nobody can sign up under ADMIN_USERNAME first.
    await ensureAdmin(users, new PasswordHasher(), authConfig, authApp.log);
    const userApp = await buildUserApp(userConfig, { users, verifier });
    const user = await listen(userApp, '127.0.0.1', 0);
    const chatApp = await buildChatApp(chatConfig, { nodeId, verifier, users, ...engine });
    const chat = await listen(chatApp, '127.0.0.1', 0);
    const gateway = await buildGatewayApp({ ...gatewayConfig, AUTH_URL: auth, USER_URL: user, CHAT_URL: chat });
    const url = await listen(gateway, gatewayConfig.HOST, gatewayConfig.PORT);
    log = gateway.log;
    if (!withRedis) gateway.log.warn('Redis is not configured: in-memory engine, chat cannot span processes');
    if (!authConfig.MONGO_URL) gateway.log.warn('MONGO_URL unset: accounts and messages are kept in memory only');
    if (!authConfig.JWT_PRIVATE_KEY && !authConfig.JWT_PRIVATE_KEY_FILE) gateway.log.warn('no JWT_PRIVATE_KEY(_FILE): a signing key was generated; tokens die with this process');
    return {
      gateway,
      url,
      apps: { auth: authApp, user: userApp, chat: chatApp, gateway },
      // The gateway stops first (no new requests), chat drains its sockets, then the backends close.
      close: async () => {
        for (const app of started.reverse()) await app.close();
        await engine.close();
        await mongo?.close();
      },
    };
  } catch (err) {
    for (const app of started.reverse()) await app.close();
    await engine.close();
    await mongo?.close();
    throw err;
  }
}
