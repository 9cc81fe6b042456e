// Child processes that serve on a TCP port (redis-server, redis-sentinel, FerretDB), for tests:
// free ports, temp dirs, readiness, and cleanup when the test process exits first.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { waitFor } from './wait-for.ts';

export interface TestServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A TestServer whose process can also be signalled, e.g. SIGKILLed to simulate a crash. */
export interface SpawnedServer extends TestServer {
  pid: number;
  /** Sends the signal (default SIGKILL) and resolves once the process has exited; stop() still cleans up. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Sends a signal without waiting for anything (SIGSTOP / SIGCONT to freeze and thaw it). */
  signal(signal: NodeJS.Signals): void;
  exited(): boolean;
  /**
   * Starts the same server again on the same port and temp dir (its data kept), after it was
   * killed; resolves once it is ready. The returned server owns the dir from then on: stop that one.
   */
  restart(): Promise<SpawnedServer>;
}

/** How to run one server on a given port with a given (fresh, empty, writable) temp dir. */
export interface Spec {
  bin: string;
  args: string[];
  url: string;
  ready: () => Promise<boolean>;
  timeoutMs: number;
}

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

/**
 * Starts a server on a free port in a fresh temp dir (removed on stop). A port taken between
 * freePort() and the child binding it makes the child exit; then it tries again with another.
 */
export async function startWithRetry(name: string, makeSpec: (port: number, dir: string) => Spec): Promise<SpawnedServer> {
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

async function launch(name: string, port: number, dir: string, spec: Spec): Promise<SpawnedServer> {
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
  return {
    url: spec.url,
    port,
    pid: child.pid!,
    stop,
    exited: hasExited,
    signal: (signal) => {
      if (!hasExited()) child.kill(signal);
    },
    kill: async (signal = 'SIGKILL') => {
      if (!hasExited()) child.kill(signal);
      await exited;
    },
    restart: async () => {
      if (!hasExited()) throw new Error(`${name} on port ${port} is still running: kill() it before restart()`);
      live.delete(child); // the dir now belongs to the new process: this one's stop() leaves it
      return launch(name, port, dir, spec);
    },
  };
}

/** Sends PING over a plain TCP socket; true once the server replies +PONG (or -NOAUTH: up, needs a password). */
export function redisPing(port: number): Promise<boolean> {
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

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findOnPath(name: string): string | undefined {
  return (process.env.PATH ?? '').split(delimiter).map((d) => join(d, name)).find(isExecutable);
}
