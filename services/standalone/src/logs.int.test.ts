import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnService, TestClient, waitFor, type ServiceProcess } from '@chatorbit/shared/testing';

const standaloneMain = fileURLToPath(new URL('./main.ts', import.meta.url));
const processes: ServiceProcess[] = [];

afterEach(async () => {
  for (const p of processes.splice(0)) await p.stop('SIGKILL');
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** Every service in one real process (the gateway in front); what it prints is its logs. */
describe('logs of a running ChatOrbit', () => {
  it('never contain a token, a password or a cookie, and request lines carry a request id', async () => {
    const app = await spawnService(standaloneMain, { LOG_LEVEL: 'trace' });
    processes.push(app);
    const password = 'Pa55word-never-logged';
    const cookie = 'session=Cookie-never-logged';
    const signup = await post(`${app.url}/api/v1/auth/signup`, { username: 'alice', email: 'alice@example.test', password });
    expect(signup.status).toBe(201);
    const login = (await (await post(`${app.url}/api/v1/auth/login`, { login: 'alice', password })).json()) as { accessToken: string };
    const token = login.accessToken;
    // Wrong and invalid passwords, tokens in headers and in query strings, cookies.
    expect((await post(`${app.url}/api/v1/auth/login`, { login: 'alice', password: 'Wrong-never-logged' })).status).toBe(401);
    expect((await post(`${app.url}/api/v1/auth/signup`, { username: 'bob', email: 'bob@example.test', password: 'Sh0rt!x' })).status).toBe(400);
    expect((await fetch(`${app.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}`, cookie } })).status).toBe(200);
    expect((await fetch(`${app.url}/api/v1/users/me?token=${token}`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${app.url}/api/v1/users/me`, { headers: { authorization: 'Bearer not.a.valid-never-logged' } })).status).toBe(401);
    const socket = await TestClient.connect(`${app.url.replace('http', 'ws')}/ws?token=${token}`, { cookie });
    await socket.request({ type: 'join', room: 'r1' }, (f) => f.type === 'joined');
    socket.close();
    await socket.closed;
    // The shutdown flushes the logs: everything written is in the output after the exit.
    expect(await app.stop('SIGTERM')).toBe(0);

    const output = app.output();
    for (const secret of [password, 'Wrong-never-logged', 'Sh0rt!x', token, token.split('.')[2]!, 'Cookie-never-logged', 'not.a.valid-never-logged']) {
      expect(output, `a secret in the logs: ${secret}`).not.toContain(secret);
    }
    const lines = output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLines = lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed');
    expect(requestLines.length).toBeGreaterThan(10);
    for (const line of requestLines) expect(line).toMatchObject({ reqId: expect.any(String), service: expect.any(String), level: expect.any(Number) });
    // The query-string token was in a logged URL, masked.
    expect(requestLines.some((l) => JSON.stringify(l.req ?? {}).includes('token=[redacted]'))).toBe(true);
  });

  it('switches to debug on SIGUSR2 and back to LOG_LEVEL on the next one', async () => {
    const app = await spawnService(standaloneMain, { LOG_LEVEL: 'warn' });
    processes.push(app);
    const request = (id: string) => fetch(`${app.url}/api/v1/users/me`, { headers: { 'x-request-id': id } }).then((r) => r.body?.cancel());
    const signal = async (level: string, nth: number) => {
      process.kill(app.process.pid!, 'SIGUSR2');
      // Each of the four apps logs the change (at warn, so it shows at either level).
      await waitFor(() => app.output().split(`log level set to ${level}`).length - 1 >= 4 * nth, { message: `the switch to ${level}` });
    };
    await request('quiet-before');
    await signal('debug', 1);
    expect(app.output()).not.toContain('quiet-before'); // logged lines come in order: it would be before the switch
    await request('loud-during');
    await waitFor(() => app.output().includes('"reqId":"loud-during"'), { message: 'the request logged at debug' });
    await signal('warn', 1);
    await request('quiet-after');
    await signal('debug', 2);
    expect(app.output()).not.toContain('quiet-after');
  });
});
