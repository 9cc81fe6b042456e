// Throwaway redis-server / FerretDB processes on free ports, for tests.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { findOnPath, isExecutable, redisPing, startWithRetry, type SpawnedServer } from './spawn.ts';

export { freePort, type SpawnedServer, type TestServer } from './spawn.ts';

export const DEFAULT_FERRETDB_BIN = join(homedir(), '.cache/chatorbit/ferretdb-v1.24.2/ferretdb');

/** Starts `redis-server` with no persistence on a free port; resolves once it answers PING. */
export async function startRedis(opts: { args?: string[] } = {}): Promise<SpawnedServer> {
  if (!findOnPath('redis-server')) {
    throw new Error('redis-server not found on PATH: apt-get install redis-server, or set TEST_REDIS_URL');
  }
  return startWithRetry('redis-server', (port) => ({
    bin: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(opts.args ?? [])],
    url: `redis://127.0.0.1:${port}`,
    ready: () => redisPing(port),
    timeoutMs: 15_000,
  }));
}

/** Starts FerretDB (SQLite backend, fresh temp dir) on a free port; resolves once it answers `ping`. */
export async function startFerret(): Promise<SpawnedServer> {
  const bin = process.env.FERRETDB_BIN || DEFAULT_FERRETDB_BIN;
  if (!isExecutable(bin)) {
    throw new Error(`FerretDB not found at ${bin}: run \`bash .ci/install-ferretdb\`, or set TEST_MONGO_URL`);
  }
  return startWithRetry('FerretDB', (port, dir) => ({
    bin,
    args: [
      '--handler=sqlite', `--sqlite-url=file:${dir}/`, `--listen-addr=127.0.0.1:${port}`,
      `--state-dir=${dir}`, '--telemetry=disable', '--debug-addr=-',
    ],
    url: `mongodb://127.0.0.1:${port}/`,
    ready: () => mongoPing(`mongodb://127.0.0.1:${port}/`),
    timeoutMs: 30_000,
  }));
}

async function mongoPing(url: string): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000, directConnection: true });
  try {
    const res = await client.db('admin').command({ ping: 1 });
    return res.ok === 1;
  } finally {
    await client.close();
  }
}
