import { createServer, type Server } from 'node:http';
import { MongoClient } from 'mongodb';
import { createTokenSigner } from '@chatorbit/shared';
import { freePort } from '@chatorbit/shared/testing';
import { spawnNode, waitReady, type Spawned } from '../proc.ts';
import type { Peer } from './peer.ts';

const TOKEN_SETTINGS = { issuer: 'chatorbit', audience: 'chatorbit' };
const TOKEN_TTL_SEC = 4 * 3600;

/**
 * Publishers send far faster than a person may, and every bench socket comes from one address:
 * the per-user, per-socket and per-address limits are lifted so the bench measures fan-out, not
 * moderation (--chat-env overrides; versions without these settings ignore them).
 */
const UNLIMITED = {
  RATE_LIMIT_MESSAGES: '0',
  MAX_FRAMES_PER_SEC: '1000000',
  HANDSHAKES_PER_SEC_PER_IP: '0',
  MAX_CONNECTIONS_PER_IP: '0',
  MAX_CONNECTIONS_PER_USER: '0',
};

/**
 * The chat node's V8 flags as the Helm chart and docker-compose run it (`chat.nodeOptions`):
 * 16 MB semi-spaces instead of Node 24's default, which grows the young generation to 128 MB
 * on a burst of connections (about 13 KB of RSS per socket at 10k idle sockets, all garbage
 * headroom). `--chat-env NODE_OPTIONS=` runs with Node's default instead.
 */
const DEPLOYED_NODE_OPTIONS = { NODE_OPTIONS: '--max-semi-space-size=16' };

/** Serves the signer's JWKS, standing in for the auth service. */
async function serveJwks(body: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('JWKS server has no port');
  return { url: `http://127.0.0.1:${address.port}/.well-known/jwks.json`, server };
}

async function dropDatabase(url: string, name: string) {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}

export const chatorbitPeer: Peer = {
  name: 'chatorbit',
  label: 'ChatOrbit chat nodes',
  async start(opts) {
    const signer = await createTokenSigner(TOKEN_SETTINGS);
    const jwks = await serveJwks(JSON.stringify(signer.jwks()));
    const procs: Spawned[] = [];
    const stop = async () => {
      await Promise.all(procs.map((p) => p.stop()));
      await new Promise<void>((resolve) => jwks.server.close(() => resolve()));
      if (opts.chat.mongoUrl) await dropDatabase(opts.chat.mongoUrl, opts.chat.mongoDb);
    };
    try {
      const urls = await Promise.all(
        Array.from({ length: opts.nodes }, async (_, i) => {
          const port = await freePort();
          const proc = spawnNode(opts.chat.main, {
            ...DEPLOYED_NODE_OPTIONS,
            ...UNLIMITED,
            ...opts.chat.env,
            HOST: '127.0.0.1',
            PORT: String(port),
            LOG_LEVEL: opts.chat.env.LOG_LEVEL ?? 'warn',
            NODE_ID: `bench-chat-${i}`,
            REDIS_URL: opts.redisUrl,
            AUTH_JWKS_URL: jwks.url,
            JWT_ISSUER: TOKEN_SETTINGS.issuer,
            JWT_AUDIENCE: TOKEN_SETTINGS.audience,
            ...(opts.chat.mongoUrl ? { MONGO_URL: opts.chat.mongoUrl, MONGO_DB: opts.chat.mongoDb } : {}),
            BENCH_MAX_LIFETIME_MS: String(opts.maxLifetimeMs),
          });
          procs[i] = proc;
          const url = `http://127.0.0.1:${port}`;
          await waitReady(proc, url, `chat node ${i}`);
          return url;
        }),
      );
      return {
        urls,
        pids: procs.map((p) => p.pid),
        credentials: (users) =>
          Promise.all(Array.from({ length: users }, (_, i) => signer.sign({ userId: `bench-user-${i}`, name: `user${i}`, roles: [] }, TOKEN_TTL_SEC))),
        stop,
      };
    } catch (err) {
      await stop();
      throw err;
    }
  },
};
