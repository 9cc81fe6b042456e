import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { startStandalone, type Standalone } from './standalone.ts';

type Doc = { openapi: string; paths: Record<string, Record<string, { summary?: string; 'x-service'?: string }>> };

let app: Standalone;
let doc: Doc;
/** Inside the package, so the generated client resolves openapi-fetch like a frontend's would. */
const dir = fileURLToPath(new URL(`../.tmp/openapi-client-${process.pid}/`, import.meta.url));

beforeAll(async () => {
  app = await startStandalone({ LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0' });
  const res = await fetch(`${app.url}/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
});
afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the gateway's merged OpenAPI document", () => {
  it('has every route every service registers, under the service that serves it', () => {
    expect(doc.openapi).toBe('3.1.0');
    const infrastructure = ['/healthz', '/readyz', '/metrics', '/openapi.json'];
    let checked = 0;
    for (const [service, instance] of Object.entries(app.apps)) {
      for (const route of instance.declaredRoutes) {
        if (route.hidden) {
          // Only what is not an API route is left out (the gateway's proxy routes and its UI too).
          if (service === 'gateway') continue;
          expect(infrastructure, `${service} hides ${route.method} ${route.url}`).toContain(route.url);
          continue;
        }
        const path = route.url.replace(/:(\w+)/g, '{$1}');
        const operation = doc.paths[path]?.[route.method.toLowerCase()];
        expect(operation, `${service}: ${route.method} ${route.url}`).toBeDefined();
        expect(operation!['x-service']).toBe(service);
        expect(operation!.summary, `${route.method} ${route.url} has a summary`).toBeTruthy();
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
    for (const path of ['/user/{id}', '/chat/history/{roomID}', '/chat/rooms', '/api/v1/auth/login', '/asyncapi.json']) expect(doc.paths[path], path).toBeDefined();
  });

  it('generates a typed client (openapi-typescript) that right calls type-check against and wrong ones do not, and that works', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}schema.d.ts`, astToString(await openapiTS(doc as never)));
    await writeFile(`${dir}tsconfig.json`, JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'es2024', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2024', 'dom'], types: [], skipLibCheck: true, allowImportingTsExtensions: true },
      files: ['calls.ts', 'wrong.ts'],
    }));
    await writeFile(`${dir}package.json`, JSON.stringify({ type: 'module' }));
    await writeFile(`${dir}calls.ts`, `import createClient from 'openapi-fetch';
import type { paths } from './schema.d.ts';

/** What a frontend does with the generated types: every call below is checked against the document. */
export async function calls(baseUrl: string, token: string, userId: string) {
  const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${token}\` } });
  const room = await client.POST('/chat/rooms', { body: { room_id: 'typed-room' } });
  const roomId: string | undefined = room.data?.room_id;
  const history = await client.GET('/chat/history/{roomID}', { params: { path: { roomID: 'typed-room' } } });
  const contents: string[] = (history.data ?? []).map((m) => m.content + m.timestamp + m.user_id + m.room_id + m.id);
  const user = await client.GET('/user/{id}', { params: { path: { id: userId } } });
  const name: string | undefined = user.data?.name;
  const missing = await client.GET('/user/{id}', { params: { path: { id: 'f'.repeat(24) } } });
  const problem: string | undefined = missing.error?.error;
  const page = await client.GET('/api/v1/rooms/{room}/messages', { params: { path: { room: 'typed-room' }, query: { limit: 10 } } });
  const seqs: number[] = (page.data?.messages ?? []).map((m) => m.seq);
  return { roomId, contents, name, problem, seqs };
}
`);
    // Each call here is wrong in one way; the compiler must refuse every one (on its own line).
    const wrong = [
      `client.GET('/chat/history/{roomID}', { params: { path: { room: 'r' } } });`,
      `client.POST('/chat/rooms', { body: { room: 'r' } });`,
      `client.GET('/no/such/route');`,
      `client.DELETE('/chat/history/{roomID}', { params: { path: { roomID: 'r' } } });`,
      `void (async () => { const n: number | undefined = (await client.GET('/user/{id}', { params: { path: { id: 'x' } } })).data?.name; return n; })();`,
      `void (async () => { const e: { code: string } | undefined = (await client.GET('/user/{id}', { params: { path: { id: 'x' } } })).error?.error; return e; })();`,
    ];
    await writeFile(`${dir}wrong.ts`, [
      `import createClient from 'openapi-fetch';`,
      `import type { paths } from './schema.d.ts';`,
      `const client = createClient<paths>({ baseUrl: 'http://localhost' });`,
      ...wrong,
      '',
    ].join('\n'));

    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', `${dir}tsconfig.json`, '--pretty', 'false']).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => err,
    );
    const errors = result.stdout.split('\n').filter((line) => line.includes('error TS'));
    expect(errors.filter((line) => line.includes('calls.ts(')), 'right calls compile').toEqual([]);
    const wrongLines = new Set(errors.flatMap((line) => /wrong\.ts\((\d+),/.exec(line)?.[1] ?? []).map(Number));
    expect([...wrongLines].sort((a, b) => a - b), result.stdout).toEqual(wrong.map((_, i) => i + 4));
    expect(result.code).not.toBe(0);

    // The same calls, run against the gateway.
    const signup = await fetch(`${app.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'typed', email: 'typed@example.test', password: 'typed client password' }),
    });
    const login = await fetch(`${app.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'typed', password: 'typed client password' }),
    });
    const { accessToken, user } = (await login.json()) as { accessToken: string; user: { id: string } };
    expect(signup.status).toBe(201);
    const { calls } = (await import(pathToFileURL(`${dir}calls.ts`).href)) as { calls: (...args: string[]) => Promise<Record<string, unknown>> };
    expect(await calls(app.url, accessToken, user.id)).toEqual({ roomId: 'typed-room', contents: [], name: 'typed', problem: 'user not found', seqs: [] });
  });
});
