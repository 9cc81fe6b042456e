// Fuzzes every HTTP route of auth, user and chat (in process, on the in-memory engine, through
// app.inject) and, over real loopback sockets, the gateway in front of them, with fast-check:
// requests made from each service's OpenAPI document (fitting, almost fitting and garbage path
// parameters, query strings and bodies of every content type), hostile headers (huge,
// duplicated, broken credentials) and valid tokens of every role. Every answer must be below 500
// (in memory mode nothing is a backend outage), every refusal must have the JSON error shape
// (`{error: {code, message}}`, or `{error: "<message>"}` on the original frontend's routes), the
// services must keep serving, and the heap must come back to where it was.
//
// FUZZ_RUNS sets the cases per property (default 1,500 in `pnpm test`; `pnpm test:fuzz` runs
// 34,000 per property, over 100,000 HTTP cases, besides the WebSocket fuzz's); FUZZ_SEED replays a
// run (its seed is printed first).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenSigner, createTokenVerifier, loadConfig, MemoryRefreshTokenStore, MemoryUserStore } from '@chatorbit/shared';
import { buildAuthApp, loadAuthConfig, MemoryThrottleStore, PasswordHasher } from '@chatorbit/auth';
import { buildUserApp, userConfigSchema } from '@chatorbit/user';
import { buildChatApp, chatConfigSchema, createChatEngine, type ChatEngine } from '@chatorbit/chat';
import { buildGatewayApp, gatewayConfigSchema } from '@chatorbit/gateway';
import { arbitraryRequest, operationsOf, requestFor, type FuzzRequest, type Known, type Operation } from './http-cases.ts';

const runs = Number(process.env.FUZZ_RUNS ?? 1_500);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
console.log(`http fuzz: seed ${seed}, ${runs} runs per property (replay with FUZZ_SEED=${seed})`);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const env = { LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0' };
let apps: Record<'auth' | 'user' | 'chat', FastifyInstance>;
let gateway: FastifyInstance;
let engine: ChatEngine;
let ops: Operation[];
let known: Known;
/** Answers by service and status, for the summary. */
const statuses = new Map<string, number>();
let requests = 0;

beforeAll(async () => {
  fc.configureGlobal({ seed, numRuns: runs, endOnFailure: true });
  const authConfig = loadAuthConfig(env);
  const settings = { issuer: authConfig.JWT_ISSUER, audience: authConfig.JWT_AUDIENCE };
  const users = new MemoryUserStore();
  const sessions = new MemoryRefreshTokenStore();
  const signer = await createTokenSigner(settings);
  const verifier = createTokenVerifier(settings, signer.jwks());
  const chatConfig = loadConfig(chatConfigSchema, env);
  engine = await createChatEngine(chatConfig, `fuzz-${process.pid}`, {});
  apps = {
    // The cheapest valid scrypt cost: a fitting signup or login is one derivation.
    auth: await buildAuthApp(authConfig, { users, signer, sessions, throttle: new MemoryThrottleStore(), passwords: new PasswordHasher({ N: 2 ** 10, r: 8, p: 1 }) }),
    user: await buildUserApp(loadConfig(userConfigSchema, env), { users, verifier, deactivations: engine.deactivations, refreshTokens: sessions }),
    chat: await buildChatApp(chatConfig, { nodeId: `fuzz-${process.pid}`, verifier, users, ...engine }),
  };
  const urls: Record<string, string> = {};
  for (const [service, app] of Object.entries(apps)) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    urls[service] = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  }
  gateway = await buildGatewayApp({ ...loadConfig(gatewayConfigSchema, env), AUTH_URL: urls.auth!, USER_URL: urls.user!, CHAT_URL: urls.chat!, CORS_ORIGINS: 'https://app.example.com' });
  await gateway.ready();

  // Accounts of every rank, a room with an owner and a moderator, a deactivated account.
  const account = async (name: string, roles: string[] = []) => {
    const user = await users.create({ username: `${name}${randomBytes(3).toString('hex')}`, email: `${name}-${randomBytes(3).toString('hex')}@example.test`, passwordHash: 'x' });
    if (roles.length) await users.setRoles(user.id, roles);
    return { id: user.id, token: await signer.sign({ userId: user.id, name: user.username, roles }, 3_600) };
  };
  const [admin, owner, mod, plain, gone] = await Promise.all([account('admin', ['admin']), account('owner'), account('mod'), account('plain'), account('gone')]);
  const room = 'fuzz-room';
  const as = (token: string, method: InjectOptions['method'], url: string, payload?: object) =>
    apps.chat.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  expect((await as(owner!.token, 'POST', '/api/v1/rooms', { room })).statusCode).toBe(201);
  expect((await as(owner!.token, 'PUT', `/api/v1/rooms/${room}/roles/${mod!.id}`, { role: 'moderator' })).statusCode).toBe(204);
  await users.setDeactivated(gone!.id, true);
  await engine.deactivations.set(gone!.id, true);
  const guestId = randomBytes(12).toString('hex');
  known = {
    userIds: [admin!.id, owner!.id, mod!.id, plain!.id, gone!.id, 'f'.repeat(24)],
    rooms: [room, 'general', 'r1'],
    tokens: {
      admin: admin!.token,
      owner: owner!.token,
      moderator: mod!.token,
      user: plain!.token,
      deactivated: gone!.token,
      guest: await signer.sign({ userId: guestId, name: `guest-${guestId.slice(0, 6)}`, roles: ['guest'] }, 3_600),
      expired: await signer.sign({ userId: plain!.id, name: 'plain', roles: [] }, -10),
      forged: `${admin!.token.split('.').slice(0, 2).join('.')}.${randomBytes(64).toString('base64url')}`,
    },
  };
  ops = [];
  for (const [service, app] of Object.entries(apps)) ops.push(...operationsOf(service, (await app.inject('/openapi.json')).json()));
  console.log(`http fuzz: ${ops.length} operations (${Object.keys(apps).map((s) => `${s} ${ops.filter((o) => o.service === s).length}`).join(', ')})`);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  for (const app of Object.values(apps ?? {})) await app.close();
  await engine?.close();
  console.log(`http fuzz: ${requests} requests; answers by service and status: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
});

/** Sends a request and checks the answer; throws (failing the property, with the request) when it is wrong. */
async function send(app: FastifyInstance, service: string, op: Operation | undefined, req: FuzzRequest): Promise<void> {
  requests++;
  const res = await app.inject({ method: req.method as InjectOptions['method'], url: req.url, headers: req.headers, ...(req.payload !== undefined ? { payload: req.payload } : {}) });
  const key = `${service} ${res.statusCode}`;
  statuses.set(key, (statuses.get(key) ?? 0) + 1);
  const problem = judge(service, op, req, res.statusCode, res.payload);
  if (problem) {
    const shown = { ...req, payload: typeof req.payload === 'string' ? req.payload.slice(0, 300) : req.payload?.subarray(0, 100) };
    throw new Error(`${problem}\n  request: ${JSON.stringify(shown).slice(0, 1_500)}\n  answer: ${res.statusCode} ${res.payload.slice(0, 500)}`);
  }
}

/** What is wrong with an answer, or undefined. */
function judge(service: string, op: Operation | undefined, req: FuzzRequest, status: number, payload: string): string | undefined {
  if (status >= 500) return `a ${status}: nothing is down in memory mode, so every 5xx is a bug`;
  if (status < 400 || req.method === 'HEAD') return undefined;
  let body: { error?: unknown };
  try {
    body = JSON.parse(payload) as { error?: unknown };
  } catch {
    return `a ${status} whose body is not JSON`;
  }
  const native = typeof body.error === 'object' && body.error !== null && typeof (body.error as { code?: unknown }).code === 'string' && typeof (body.error as { message?: unknown }).message === 'string';
  const compat = typeof body.error === 'string';
  // The original API's routes answer {error: string}; a path that matched no route (a 404), a
  // path the router could not decode, headers the HTTP parser refused (a 431: the gateway's
  // forwarding headers took a request near the limit over it) got no further than the router or
  // the parser, whose errors are native.
  const routerError = native && (status === 404 || status === 431 || String((body.error as { message: string }).message).startsWith('malformed URL'));
  if (op?.compat && req.method === op.method) return compat || routerError ? undefined : `a ${status} on an original-API route without {error: string}`;
  // The gateway answers its own errors on the original API's paths (415, 413, 502), whatever the method, in that API's shape.
  const compatPath = service === 'gateway' && /^\/(register|login|change-password|logout)(\?|$)|^\/(user|chat)(\/|\?|$)/.test(req.url);
  return native || (compat && (op?.compat || compatPath)) ? undefined : `a ${status} without the {error: {code, message}} shape`;
}

/** The operation a request of no particular operation happens to hit, if any. */
const operationAt = (service: string | undefined, req: FuzzRequest) =>
  ops.find(
    (o) => (service === undefined || o.service === service) && o.method === req.method && new RegExp(`^${o.path.replace(/\{[^}]+\}/g, '[^/]*')}$`).test(req.url.split('?')[0]!),
  );

/** A request to any operation (the arbitraries are built once: building them per case is the slow part). */
let cases: fc.Arbitrary<{ op: Operation; req: FuzzRequest }> | undefined;
const anyOperation = () => (cases ??= fc.oneof(...ops.map((op) => requestFor(op, known).map((req) => ({ op, req })))));

describe('fuzzing every HTTP route', () => {
  it('answers requests made from the OpenAPI documents (every route, every role) below 500, refusals in the error shape', { timeout: 0 }, async () => {
    await fc.assert(fc.asyncProperty(anyOperation(), ({ op, req }) => send(apps[op.service as keyof typeof apps], op.service, op, req)));
  });

  it('answers any method on any path, with any headers, below 500 and in the error shape', { timeout: 0 }, async () => {
    const services = Object.keys(apps) as Array<keyof typeof apps>;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...services), arbitraryRequest(ops, known), (service, req) => send(apps[service], service, operationAt(service, req), req)),
    );
  });

  it('answers the same through the gateway (real sockets to the services)', { timeout: 0 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyOperation(), arbitraryRequest(ops, known).map((req) => ({ op: operationAt(undefined, req), req }))), ({ op, req }) => send(gateway, 'gateway', op, req)),
      { numRuns: Math.max(100, Math.ceil(runs / 4)) },
    );
  });

  it('keeps serving, and its heap comes back, after the fuzzing', { timeout: 0 }, async () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    await fc.assert(fc.asyncProperty(anyOperation(), ({ op, req }) => send(apps[op.service as keyof typeof apps], op.service, op, req)), { numRuns: Math.min(runs, 5_000) });
    // Every service still answers a real request (from an address of its own: the fuzzing's
    // failed logins have rightly throttled 127.0.0.1's).
    const from = { remoteAddress: '198.51.100.77' };
    const signup = await gateway.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { username: 'afterfuzz', email: 'after@fuzz.test', password: 'after the fuzz' }, ...from });
    expect(signup.statusCode, signup.body).toBe(201);
    const login = await gateway.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'afterfuzz', password: 'after the fuzz' }, ...from });
    expect(login.statusCode).toBe(200);
    const token = login.json<{ accessToken: string }>().accessToken;
    expect((await gateway.inject({ url: '/api/v1/users/me', headers: { authorization: `Bearer ${token}` } })).json()).toMatchObject({ username: 'afterfuzz' });
    expect((await gateway.inject({ url: '/api/v1/rooms/after-fuzz/messages', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    gc();
    const after = process.memoryUsage().heapUsed;
    console.log(`http fuzz: heap ${(before / 1048576).toFixed(1)} → ${(after / 1048576).toFixed(1)} MB over ${Math.min(runs, 5_000)} more cases`);
    // Bounded: what the cases stored (accounts, rooms, settings, audit entries) and no more.
    expect(after - before).toBeLessThan(32 * 1024 * 1024);
  });
});
