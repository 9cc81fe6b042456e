// An auth app on one user-store backend, with what its tests keep asking for.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createTokenSigner, loadConfig, type TokenSigner } from '@chatorbit/shared';
import { buildAuthApp } from '../app.ts';
import { authConfigSchema, type AuthConfig } from '../config.ts';
import { PasswordHasher } from '../passwords/password-hasher.ts';
import type { ThrottleStore } from '../throttle/throttle-store.ts';
import type { OpenUserStore, OpenUserStoreFn } from './user-stores.ts';

/** The cheapest valid scrypt cost keeps suites fast; login verifies with the parameters in the hash. */
export const fastHasher = new PasswordHasher({ N: 2 ** 10, r: 8, p: 1 });

export const testConfig = (env: Record<string, string> = {}): AuthConfig => loadConfig(authConfigSchema, { LOG_LEVEL: 'silent', ...env });

export interface Account {
  id: string;
  username: string;
  email: string;
  password: string;
}

export interface AuthHarness {
  app: FastifyInstance;
  store: OpenUserStore;
  signer: TokenSigner;
  config: AuthConfig;
  /** The throttle's clock: tests move it forward instead of sleeping. */
  clock: { now: number };
  post(url: string, payload?: unknown, extra?: Partial<InjectOptions>): Promise<LightMyRequestResponse>;
  /** Signs up a new account with a unique name; the username starts with `base`. */
  newAccount(base?: string): Promise<Account>;
  /** POST /api/v1/auth/login, expecting 200; the body. */
  login(account: Pick<Account, 'username' | 'password'>, extra?: Record<string, unknown>): Promise<LoginBody>;
  close(): Promise<void>;
}

export interface LoginBody {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken?: string;
  refreshExpiresIn: number;
  user: { id: string; username: string };
}

let counter = 0;

export async function startAuth(
  open: OpenUserStoreFn,
  dbName: string,
  options: { env?: Record<string, string>; throttle?: ThrottleStore; signer?: TokenSigner; store?: OpenUserStore } = {},
): Promise<AuthHarness> {
  const config = testConfig(options.env);
  const store = options.store ?? (await open(dbName));
  const signer = options.signer ?? (await createTokenSigner({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }));
  const clock = { now: Date.now() };
  const app = await buildAuthApp(config, {
    users: store.users,
    sessions: store.sessions,
    signer,
    passwords: fastHasher,
    now: () => clock.now,
    ...(options.throttle ? { throttle: options.throttle } : {}),
  });
  const post = (url: string, payload?: unknown, extra: Partial<InjectOptions> = {}) =>
    app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }), ...extra });
  return {
    app,
    store,
    signer,
    config,
    clock,
    post,
    async newAccount(base = 'user') {
      const username = `${base}${++counter}x${process.pid % 1000}`;
      const account = { username, email: `${username.toLowerCase()}@example.com`, password: `pw-${username}-secret` };
      const res = await post('/api/v1/auth/signup', account);
      expect(res.statusCode, res.body).toBe(201);
      return { ...account, id: res.json<{ user: { id: string } }>().user.id };
    },
    async login(account, extra = {}) {
      const res = await post('/api/v1/auth/login', { login: account.username, password: account.password, ...extra });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<LoginBody>();
    },
    async close() {
      await app.close();
      if (!options.store) await store.close();
    },
  };
}

/** The Set-Cookie header of a response for one cookie, parsed into its attributes (names lower-cased). */
export function setCookie(res: LightMyRequestResponse, name: string): Record<string, string | true> | undefined {
  const raw = res.headers['set-cookie'];
  const lines = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const line = lines.find((l) => l.startsWith(`${name}=`));
  if (!line) return undefined;
  const [pair, ...attrs] = line.split(';').map((p) => p.trim());
  const out: Record<string, string | true> = { value: decodeURIComponent(pair!.slice(name.length + 1)) };
  for (const attr of attrs) {
    const [k, ...v] = attr.split('=');
    out[k!.toLowerCase()] = v.length ? v.join('=') : true;
  }
  return out;
}
