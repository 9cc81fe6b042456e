// Throwaway redis-server / FerretDB processes on free ports, for tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { MongoClient } from 'mongodb';
import { waitFor } from './wait-for.ts';

export interface TestServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const DEFAULT_FERRETDB_BIN = join(homedir(), '.cache/chatorbit/ferretdb-v1.24.2/ferretdb');

/** A TCP port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts `redis-server` with no persistence on a free port; resolves once it answers PING. */
export async function startRedis(opts: { args?: string[] } = {}): Promise<TestServer> {
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
export async function startFerret(): Promise<TestServer> {
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

// --- process management -------------------------------------------------------------

interface Spec { bin: string; args: string[]; url: string; ready: () => Promise<boolean>; timeoutMs: number }

/** Children still running, with their temp dirs; killed if this process exits first.
 *  Kept on globalThis so that re-importing this module (vitest isolation) adds no new listeners. */
const LIVE = Symbol.for('chatorbit.testing.servers.live');
const globals = globalThis as { [LIVE]?: Map<ChildProcess, string> };
const live = globals[LIVE] ?? installExitHandlers((globals[LIVE] = new Map()));

function installExitHandlers(children: Map<ChildProcess, string>): Map<ChildProcess, string> {
  const killAll = () => {
    for (const [child, dir] of children) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
    children.clear();
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
  return children;
}

/** A port taken between freePort() and the child binding it makes the child exit; try again. */
async function startWithRetry(name: string, makeSpec: (port: number, dir: string) => Spec): Promise<TestServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), `chatorbit-${name}-`));
    try {
      return await launch(name, port, dir, makeSpec(port, dir));
    } catch (err) {
      if (attempt >= 3 || !(err instanceof ExitedEarly)) throw err;
    }
  }
}

class ExitedEarly extends Error {}

async function launch(name: string, port: number, dir: string, spec: Spec): Promise<TestServer> {
  const child = spawn(spec.bin, spec.args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  live.set(child, dir);
  let output = ''; // tail of stdout+stderr, for error messages (the pipes must be drained anyway)
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', (err) => {
      spawnError = err;
      resolve();
    });
  });
  const hasExited = () => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;

  const stop = async (): Promise<void> => {
    if (!live.delete(child)) return;
    if (!hasExited()) {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000); // in case it ignores SIGTERM
      await exited;
      clearTimeout(kill);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(async () => hasExited() || (await spec.ready()), {
      timeoutMs: spec.timeoutMs,
      intervalMs: 50,
      message: `${name} on port ${port} to become ready`,
    });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- ${name} output ---\n${output}`, { cause: err });
  }
  if (hasExited()) {
    await stop();
    const how = spawnError?.message ?? `exit code ${child.exitCode}, signal ${child.signalCode}`;
    throw new ExitedEarly(`${name} (${spec.bin} ${spec.args.join(' ')}) exited before becoming ready (${how})\n--- ${name} output ---\n${output}`);
  }
  return { url: spec.url, port, stop };
}

// --- readiness probes ---------------------------------------------------------------

/** Sends PING over a plain TCP socket; true once the server replies +PONG (or -NOAUTH: up, needs a password). */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
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

// --- binaries -----------------------------------------------------------------------

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  return (process.env.PATH ?? '').split(delimiter).map((d) => join(d, name)).find(isExecutable);
}
