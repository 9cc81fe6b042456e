import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@chatorbit/shared';
import { MergedOpenApi, OpenApiMergeError, mergeOpenApi, type OpenApiDoc } from './openapi.ts';
import { startFakeUpstream, startGateway, type FakeUpstream, type Gateway } from './testing/harness.ts';

const info = { title: 't', version: '1' };
const bearer = [{ bearer: [] }];
const doc = (paths: Record<string, Record<string, unknown>>, components: Record<string, Record<string, unknown>> = {}, security: unknown[] = bearer): OpenApiDoc => ({
  openapi: '3.1.0',
  info: { title: 'x', version: '1' },
  paths,
  components,
  security,
});
const op = (summary: string, extra: Record<string, unknown> = {}) => ({ summary, responses: { 200: { description: 'ok' } }, ...extra });
const byPrefix = (path: string) => (path.startsWith('/a') ? 'auth' : path.startsWith('/u') ? 'user' : undefined);

describe('mergeOpenApi', () => {
  it('keeps a component both services declare alike once, and renames one that differs, rewriting its refs', () => {
    const ref = (name: string) => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } });
    const merged = mergeOpenApi(
      [
        { service: 'auth', doc: doc({ '/a': { get: op('a', { responses: { 200: ref('User') } }) } }, { schemas: { User: { type: 'object' }, Error: { type: 'string' } } }) },
        { service: 'user', doc: doc({ '/u': { get: op('u', { responses: { 200: ref('User') } }) } }, { schemas: { User: { type: 'array' }, Error: { type: 'string' } } }) },
      ],
      info,
      byPrefix,
    );
    expect(merged.components!.schemas).toEqual({ User: { type: 'object' }, Error: { type: 'string' }, user_User: { type: 'array' } });
    expect(JSON.stringify(merged.paths!['/a'])).toContain('"#/components/schemas/User"');
    expect(JSON.stringify(merged.paths!['/u'])).toContain('"#/components/schemas/user_User"');
  });

  it('lists only operations the gateway routes to the service that declares them, tagged with it', () => {
    const merged = mergeOpenApi(
      [
        { service: 'auth', doc: doc({ '/a': { post: op('sign', { tags: ['accounts'] }) }, '/u/stray': { get: op('stray') } }) },
        { service: 'user', doc: doc({ '/u/{id}': { get: op('get') }, '/internal': { get: op('hidden') } }) },
      ],
      info,
      byPrefix,
    );
    expect(Object.keys(merged.paths!).sort()).toEqual(['/a', '/u/{id}']);
    expect(merged.paths!['/a']!.post).toMatchObject({ tags: ['accounts'], 'x-service': 'auth' });
    expect(merged.paths!['/u/{id}']!.get).toMatchObject({ tags: ['user'], 'x-service': 'user' });
    expect(merged.tags!.map((t) => t.name)).toEqual(['accounts', 'user']);
    expect(merged).toMatchObject({ openapi: '3.1.0', info, security: bearer });
  });

  it('refuses two services declaring the same operation', () => {
    const parts = [
      { service: 'auth', doc: doc({ '/a': { get: op('one') } }) },
      { service: 'user', doc: doc({ '/a': { get: op('two') } }) },
    ];
    // Routed to auth, user's copy is left out.
    expect(mergeOpenApi(parts, info, () => 'auth').paths!['/a']!.get).toMatchObject({ summary: 'one' });
    const both = [parts[0]!, { service: 'auth', doc: parts[1]!.doc }];
    expect(() => mergeOpenApi(both, info, () => 'auth')).toThrow(OpenApiMergeError);
  });

  it("moves a service's differing top-level security onto its operations", () => {
    const merged = mergeOpenApi(
      [
        { service: 'auth', doc: doc({ '/a': { get: op('a') } }) },
        { service: 'user', doc: doc({ '/u': { get: op('u'), post: op('p', { security: bearer }) } }, {}, []) },
      ],
      info,
      byPrefix,
    );
    expect(merged.paths!['/a']!.get).not.toHaveProperty('security');
    expect(merged.paths!['/u']!.get).toMatchObject({ security: [] });
    expect(merged.paths!['/u']!.post).toMatchObject({ security: bearer });
  });
});

describe('MergedOpenApi', () => {
  const build = (parts: Array<{ service: string; doc: OpenApiDoc }>) => mergeOpenApi(parts, info, () => 'auth');

  it('fetches each service once per TTL', async () => {
    let loads = 0;
    const merged = new MergedOpenApi({ sources: [{ service: 'auth', load: async () => (loads++, doc({ '/a': { get: op('a') } })) }], build, ttlMs: 60_000, onError: () => {} });
    const [one, two] = await Promise.all([merged.get(), merged.get()]);
    expect(await merged.get()).toBe(one);
    expect(two).toBe(one);
    expect(loads).toBe(1);
  });

  it("serves a service's last good document when it cannot be fetched, and 503 before it ever was", async () => {
    let up = false;
    const failures: string[] = [];
    const merged = new MergedOpenApi({
      sources: [{ service: 'auth', load: async () => {
        if (!up) throw new Error('refused');
        return doc({ '/a': { get: op('a') } });
      } }],
      build,
      ttlMs: 0,
      onError: (service) => failures.push(service),
    });
    const error = await merged.get().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ statusCode: 503, code: 'unavailable', message: expect.stringContaining('auth') });
    up = true;
    expect(Object.keys((await merged.get()).paths!)).toEqual(['/a']);
    up = false;
    expect(Object.keys((await merged.get()).paths!)).toEqual(['/a']);
    expect(failures).toEqual(['auth', 'auth']);
  });
});

describe('on the gateway', () => {
  let auth: FakeUpstream;
  let user: FakeUpstream;
  let chat: FakeUpstream;
  let gateway: Gateway;

  beforeAll(async () => {
    [auth, user, chat] = await Promise.all([startFakeUpstream('auth'), startFakeUpstream('user'), startFakeUpstream('chat')]);
    auth.openapi = doc({ '/api/v1/auth/login': { post: op('login') }, '/login': { post: op('compat login') } });
    user.openapi = doc({ '/user/{id}': { get: op('compat user') } });
    gateway = await startGateway({ AUTH_URL: auth.url, USER_URL: user.url, CHAT_URL: chat.url });
  });
  afterAll(async () => {
    await gateway?.app.close();
    await Promise.all([auth, user, chat].map((u) => u?.stop()));
  });

  it('answers 503 naming a service whose document it cannot get, then merges all of them at /openapi.json', async () => {
    const res = await fetch(`${gateway.http}/openapi.json`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'unavailable', message: 'the OpenAPI document of chat is unavailable; try again' } });

    chat.openapi = doc({ '/api/v1/rooms/{room}/messages': { get: op('history') }, '/chat/history/{roomID}': { get: op('compat history') } });
    const merged = (await (await fetch(`${gateway.http}/openapi.json`)).json()) as OpenApiDoc;
    expect(merged.openapi).toBe('3.1.0');
    expect(Object.fromEntries(Object.entries(merged.paths!).map(([path, item]) => [path, Object.values(item).map((o) => (o as { 'x-service': string })['x-service'])]))).toEqual({
      '/api/v1/auth/login': ['auth'],
      '/login': ['auth'],
      '/user/{id}': ['user'],
      '/api/v1/rooms/{room}/messages': ['chat'],
      '/chat/history/{roomID}': ['chat'],
      '/asyncapi.json': ['gateway'],
    });
    // The gateway's proxy routes are not operations of their own.
    expect(JSON.stringify(merged.paths)).not.toContain('{*}');
  });

  it('serves Swagger UI at /docs from the package, on the merged document', async () => {
    const page = await fetch(`${gateway.http}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('swagger-ui');
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[^"']+\.(js|css)/); // no CDN
    const script = html.match(/src="([^"]*swagger-ui-bundle\.js)"/)![1]!;
    const bundle = await fetch(new URL(script, `${gateway.http}/docs/`));
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    const spec = (await (await fetch(`${gateway.http}/docs/json`)).json()) as OpenApiDoc;
    expect(spec).toEqual(await (await fetch(`${gateway.http}/openapi.json`)).json());
  });

  it('serves the AsyncAPI document with itself as the server', async () => {
    const res = await fetch(`${gateway.http}/asyncapi.json`);
    const asyncapi = (await res.json()) as { asyncapi: string; servers: { gateway: { host: string; protocol: string } }; channels: Record<string, { address: string }> };
    expect(asyncapi.asyncapi).toBe('3.0.0');
    expect(asyncapi.servers.gateway).toMatchObject({ host: new URL(gateway.http).host, protocol: 'ws' });
    expect(Object.values(asyncapi.channels).map((c) => c.address)).toEqual(['/ws', '/ws/chat']);
  });
});
