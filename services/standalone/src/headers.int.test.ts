// Security headers on every service and on the gateway, proxied responses and errors included;
// the API docs' Content-Security-Policy checked in a real browser (headless Chromium): Swagger UI
// must render every operation without a single CSP violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '@chatorbit/shared';
import { startBrowser, waitFor, type Browser } from '@chatorbit/shared/testing';
import { DOCS_CSP } from '@chatorbit/gateway';
import { startStandalone, type Standalone } from './standalone.ts';

let app: Standalone;
const urls: Record<string, string> = {};

beforeAll(async () => {
  app = await startStandalone({ LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0' });
  for (const [service, instance] of Object.entries(app.apps)) {
    const address = instance.server.address() as { port: number };
    urls[service] = `http://127.0.0.1:${address.port}`;
  }
});
afterAll(async () => {
  await app?.close();
});

/** Responses of every kind: success, JSON errors (401, 404, 400), the original API's errors, metrics and health. */
const requests: Array<[string, string, RequestInit?]> = [
  ['/healthz', 'GET'],
  ['/metrics', 'GET'],
  ['/no/such/route', 'GET'],
  ['/api/v1/users/me', 'GET'],
  ['/api/v1/rooms/r1/messages?limit=0', 'GET'],
  ['/api/v1/auth/login', 'POST', { headers: { 'content-type': 'application/json' }, body: '{"login":' }],
  ['/user/zzz', 'GET'],
  ['/.well-known/jwks.json', 'GET'],
];

describe('security headers', () => {
  it.each(['auth', 'user', 'chat', 'gateway'])('%s sends them on every response, errors included, and never X-Powered-By', async (service) => {
    for (const [path, method, init] of requests) {
      const res = await fetch(`${urls[service]}${path}`, { method, ...init });
      await res.arrayBuffer();
      const where = `${service} ${method} ${path} → ${res.status}`;
      expect(res.headers.get('x-content-type-options'), where).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), where).toBe('no-referrer');
      expect(res.headers.get('x-frame-options'), where).toBe('DENY');
      expect(res.headers.get('content-security-policy'), where).toBe(SECURITY_HEADERS['content-security-policy']);
      expect(res.headers.get('x-powered-by'), where).toBeNull();
      expect(res.headers.get('server'), where).toBeNull();
      // The JWKS keeps its own cache lifetime; everything else (tokens among it) is never stored.
      expect(res.headers.get('cache-control'), where).toBe(path === '/.well-known/jwks.json' && res.status === 200 ? 'public, max-age=300' : 'no-store');
    }
  });

  it('keeps them on what the gateway proxies', async () => {
    const login = await fetch(`${app.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(login.status).toBe(400);
    expect(login.headers.get('x-frame-options')).toBe('DENY');
    expect(login.headers.get('cache-control')).toBe('no-store');
  });
});

describe('the API docs (/docs) in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await startBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('has a CSP of its own that lets Swagger UI render every operation without a violation, and cannot be framed', async () => {
    const res = await fetch(`${app.url}/docs/`);
    await res.arrayBuffer();
    expect(res.headers.get('content-security-policy')).toBe(DOCS_CSP);
    expect(DOCS_CSP).toContain("frame-ancestors 'none'");
    expect(DOCS_CSP).toContain("script-src 'self';");
    expect(res.headers.get('x-frame-options')).toBe('DENY');

    const page = await browser.open(`${app.url}/docs/`);
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    const rendered = await waitFor(async () => {
      const count = await page.evaluate<number>("document.querySelectorAll('.opblock').length");
      return count === operations ? count : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100, message: `Swagger UI to render ${operations} operations` });
    expect(rendered).toBeGreaterThan(30);
    expect(page.messages.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
    // The control: the same browser does report a violation when a page breaks the policy.
    await page.evaluate("(() => { const s = document.createElement('script'); s.textContent = 'window.inlineRan = true'; document.body.append(s); })()");
    expect(await page.evaluate<boolean | undefined>('window.inlineRan')).toBeUndefined();
    await waitFor(() => page.messages.some((m) => /Content Security Policy/i.test(m)), { message: 'the inline script to be reported' });
  });
});
