// Test helpers for orbitctl: the real services (the standalone with two chat nodes on real Redis
// and FerretDB), the real bundled binary, run as a child process.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { startStandalone, type Standalone } from '@chatorbit/standalone';
import { spawnService, startFerret, type ServiceProcess, type SpawnedServer } from '@chatorbit/shared/testing';

const cliRoot = fileURLToPath(new URL('../../', import.meta.url));
const chatMain = fileURLToPath(new URL('../../../services/chat/src/main.ts', import.meta.url));

/** Builds the bundle (`pnpm --filter orbitctl build`, into a temp dir) once; its path. */
export function buildBundle(dir: string): string {
  const outfile = join(dir, 'orbitctl.mjs');
  const built = spawnSync(process.execPath, [join(cliRoot, 'scripts/build.ts'), '--outfile', outfile], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed: ${built.stderr}${built.stdout}`);
  return outfile;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the binary (through its shebang: the file itself is executed) with a clean environment. */
export function runBin(bin: string, args: string[], env: Record<string, string | undefined>, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const child = spawn(bin, args, { env: clean, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export interface Account {
  id: string;
  username: string;
  token: string;
  refreshToken: string;
}

export interface World {
  url: string;
  /** Chat node 2, in a process of its own (absent with `chatNodes: 1`). */
  chat2: ServiceProcess;
  admin: Account;
  signUp(name: string): Promise<Account>;
  /** A guest's token (POST /api/v1/auth/guest). */
  guest(): Promise<{ id: string; name: string; token: string }>;
  close(): Promise<void>;
}

export const ADMIN = { username: 'root', password: 'a long admin secret' };

async function postJson<T>(url: string, body: unknown, token?: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

export async function login(url: string, username: string, password: string): Promise<Account> {
  const res = await postJson<{ accessToken: string; refreshToken: string; user: { id: string; username: string } }>(`${url}/api/v1/auth/login`, { login: username, password });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, username: res.body.user.username, token: res.body.accessToken, refreshToken: res.body.refreshToken };
}

/**
 * The standalone (gateway, auth, user, chat node 1) in this process and chat node 2 in another,
 * sharing a Redis prefix and a MongoDB database of their own; the admin from ADMIN_USERNAME
 * (`admin`, default ADMIN). Presence heartbeats every 200 ms, so that counts settle quickly.
 */
export async function startWorld(opts: { redisUrl: string; mongoUrl: string; name: string; env?: Record<string, string>; admin?: { username: string; password: string }; chatNodes?: 1 | 2 }): Promise<World> {
  const id = `${opts.name}_${process.pid}_${Date.now().toString(36)}`;
  const adminCredential = opts.admin ?? ADMIN;
  const backends = { REDIS_URL: opts.redisUrl, MONGO_URL: opts.mongoUrl, MONGO_DB: id, REDIS_PREFIX: id, RATE_LIMIT_MESSAGES: '0', MAX_FRAMES_PER_SEC: '100000', PRESENCE_HEARTBEAT_MS: '200',
    // Every test socket comes from 127.0.0.1, and one joins 101 rooms.
    MAX_CONNECTIONS_PER_IP: '0', HANDSHAKES_PER_SEC_PER_IP: '0', MAX_ROOMS_PER_CONNECTION: '200', ...opts.env };
  const standalone: Standalone = await startStandalone({ ...backends, LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', ADMIN_USERNAME: adminCredential.username, ADMIN_PASSWORD: adminCredential.password });
  let chat2: ServiceProcess | undefined;
  try {
    if (opts.chatNodes !== 1) chat2 = await spawnService(chatMain, { ...backends, AUTH_JWKS_URL: `${standalone.url}/.well-known/jwks.json`, NODE_ID: 'chat-2' });
    const admin = await login(standalone.url, adminCredential.username, adminCredential.password);
    return {
      url: standalone.url,
      chat2: chat2!,
      admin,
      guest: async () => {
        const res = await postJson<{ accessToken: string; guest: { id: string; name: string } }>(`${standalone.url}/api/v1/auth/guest`, {});
        if (res.status !== 200) throw new Error(`guest: ${res.status} ${JSON.stringify(res.body)}`);
        return { id: res.body.guest.id, name: res.body.guest.name, token: res.body.accessToken };
      },
      signUp: async (name) => {
        const res = await postJson(`${standalone.url}/api/v1/auth/signup`, { username: name, email: `${name}@example.test`, password: 'correct horse battery' });
        if (res.status !== 201) throw new Error(`signup ${name}: ${res.status}`);
        return login(standalone.url, name, 'correct horse battery');
      },
      close: async () => {
        await chat2?.stop('SIGKILL');
        await standalone.close();
        const mongo = await new MongoClient(opts.mongoUrl).connect();
        await mongo.db(id).dropDatabase().finally(() => mongo.close());
      },
    };
  } catch (err) {
    await chat2?.stop('SIGKILL');
    await standalone.close();
    throw err;
  }
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Table output with the time columns (AGE, countdowns) replaced and the padding they shift collapsed. */
export const stableAges = (text: string) => text.replace(/\b\d+(d|h|m|s)(\d+(h|m|s))?(?= |$)/gm, '<age>').replace(/ {2,}/g, '  ');

/** FerretDB with authentication enforced and one user (in admin), configured through its environment. */
export async function startFerretWithUser(username: string, password: string): Promise<SpawnedServer> {
  const vars = { FERRETDB_TEST_ENABLE_NEW_AUTH: 'true', FERRETDB_SETUP_USERNAME: username, FERRETDB_SETUP_PASSWORD: password, FERRETDB_SETUP_DATABASE: 'admin' };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await startFerret();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
