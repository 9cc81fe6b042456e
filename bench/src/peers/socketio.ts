import { fileURLToPath } from 'node:url';
import { freePort } from '@chatorbit/shared/testing';
import { spawnNode, waitReady } from '../proc.ts';
import type { Peer } from './peer.ts';

const SERVER = fileURLToPath(new URL('./socketio-server.ts', import.meta.url));

export const socketioPeer: Peer = {
  name: 'socketio',
  label: 'Socket.IO 4 + redis-adapter',
  async start(opts) {
    const nodes = await Promise.all(
      Array.from({ length: opts.nodes }, async (_, i) => {
        const port = await freePort();
        const proc = spawnNode(SERVER, {
          PORT: String(port),
          REDIS_URL: opts.redisUrl,
          NODE_ID: `sio-${i}`,
          BENCH_MAX_LIFETIME_MS: String(opts.maxLifetimeMs),
        });
        const url = `http://127.0.0.1:${port}`;
        await waitReady(proc, url, `socket.io node ${i}`);
        return { proc, url };
      }),
    );
    return {
      urls: nodes.map((n) => n.url),
      pids: nodes.map((n) => n.proc.pid),
      credentials: async (users) => Array.from({ length: users }, (_, i) => `user${i}`),
      stop: async () => {
        await Promise.all(nodes.map((n) => n.proc.stop()));
      },
    };
  },
};
