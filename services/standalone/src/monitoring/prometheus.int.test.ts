import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MongoClient } from 'mongodb';
import {
  metricFamilies,
  spawnService,
  startPrometheus,
  TestClient,
  waitFor,
  type PrometheusServer,
  type ServiceProcess,
} from '@chatorbit/shared/testing';
import { metricsIn, panelQueries, substitute } from './panels.ts';

const main = (service: string) => fileURLToPath(new URL(`../../../${service}/src/main.ts`, import.meta.url));
const rulesFile = fileURLToPath(new URL('../../../../monitoring/alerts.rules.yaml', import.meta.url));
const isType = (type: string) => (f: Record<string, unknown>) => f.type === type;
const answer = (f: Record<string, unknown>) => f.type === 'ack' || f.type === 'error';

/**
 * A real Prometheus (Debian's binary) scrapes every service of a running multi-node stack (auth,
 * user, two chat nodes on one Redis, the gateway; Redis and MongoDB) every second, with the
 * alert rules loaded. After a short bounded load, every query of every dashboard panel must
 * return data, every metric a panel or a rule reads must be exported by some service, and every
 * rule must evaluate without error.
 */
describe('dashboards and alert rules against a real Prometheus scraping a running stack', () => {
  const id = `prom_${process.pid}_${Date.now().toString(36)}`;
  const namespace = `ns-${id}`;
  const mongoUrl = inject('mongoUrl');
  const services: Record<string, ServiceProcess> = {};
  let prometheus: PrometheusServer | undefined;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    const storage = { MONGO_URL: mongoUrl, MONGO_DB: id };
    services.auth = await spawnService(main('auth'), { ...storage, ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'a long admin secret' });
    const jwks = `${services.auth.url}/.well-known/jwks.json`;
    const chat = { ...storage, REDIS_URL: inject('redisUrl'), REDIS_PREFIX: id, AUTH_JWKS_URL: jwks };
    const [user, chat0, chat1] = await Promise.all([
      spawnService(main('user'), { ...storage, AUTH_JWKS_URL: jwks }),
      spawnService(main('chat'), { ...chat, NODE_ID: 'chat-0' }),
      spawnService(main('chat'), { ...chat, NODE_ID: 'chat-1' }),
    ]);
    Object.assign(services, { user, 'chat-0': chat0, 'chat-1': chat1 });
    services.gateway = await spawnService(main('gateway'), { AUTH_URL: services.auth.url, USER_URL: user.url, CHAT_URL: chat0.url });
    prometheus = await startPrometheus({
      ruleFiles: [rulesFile],
      targets: Object.entries(services).map(([name, s]) => ({
        job: `chatorbit-${name.replace(/-\d$/, '')}`,
        address: `127.0.0.1:${s.port}`,
        labels: { namespace, pod: `${name.replace(/-\d$/, '')}-${name.endsWith('-1') ? 1 : 0}` },
      })),
    });
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await prometheus?.stop();
    for (const s of Object.values(services).reverse()) await s.stop('SIGKILL');
    const mongo = await new MongoClient(mongoUrl).connect();
    await mongo.db(id).dropDatabase();
    await mongo.close();
  });

  it('shows data in every panel and evaluates every rule', async () => {
    const prom = prometheus!;
    const gateway = services.gateway!.url;
    const json = (path: string, init: RequestInit = {}, token?: string) =>
      fetch(`${gateway}${path}`, {
        ...init,
        headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const login = async (name: string, signup = true) => {
      const password = name === 'root' ? 'a long admin secret' : 'correct horse battery';
      let id = '';
      if (signup) {
        const created = await json('/api/v1/auth/signup', { method: 'POST', body: JSON.stringify({ username: name, email: `${name}@example.test`, password }) });
        expect(created.status).toBe(201);
        id = (created.body.user as { id: string }).id;
      }
      const res = await json('/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ login: name, password }) });
      expect(res.status).toBe(200);
      return { token: res.body.accessToken as string, id };
    };

    // Every target is up before the load starts.
    await waitFor(async () => (await prom.query(`count(up{namespace="${namespace}"} == 1)`))[0]?.value[1] === '5', {
      timeoutMs: 20_000,
      message: 'Prometheus to scrape the 5 services',
    });

    const root = await login('root', false);
    const [alice, bob, carol] = [await login('alice'), await login('bob'), await login('carol')];
    const room = 'launch';
    expect((await json('/api/v1/rooms', { method: 'POST', body: JSON.stringify({ room }) }, root.token)).status).toBe(201);
    expect((await json(`/api/v1/rooms/${room}/settings`, { method: 'PUT', body: JSON.stringify({ blockedTerms: ['spam'] }) }, root.token)).status).toBe(200);
    const ws = (url: string, token: string) => TestClient.connect(`${url.replace('http', 'ws')}/ws?token=${token}`);
    const a = await ws(gateway, alice.token); // through the gateway to chat-0
    const b = await ws(services['chat-1']!.url, bob.token);
    const c = await ws(services['chat-1']!.url, carol.token);
    clients.push(a, b, c);
    for (const s of [a, b, c]) await s.request({ type: 'join', room }, isType('joined'));

    // The load: rounds of sends, refusals and HTTP calls until Prometheus has scraped every chat
    // node at least 5 times during it (bounded: 400 rounds at most).
    const scrapesDuringLoad = async () =>
      Number((await prom.query(`min(count_over_time(chatorbit_messages_accepted_total{namespace="${namespace}"}[1m]))`))[0]?.value[1] ?? 0);
    const before = await scrapesDuringLoad();
    let round = 0;
    for (; round < 400 && (await scrapesDuringLoad()) < before + 5; round++) {
      // Acked, or refused by the default rate limit (also a panel's data).
      await a.request({ type: 'send', room, text: `a${round}`, nonce: `a${round}` }, answer);
      await b.request({ type: 'send', room, text: `b${round}`, nonce: `b${round}` }, answer);
      await c.request({ type: 'send', room, text: 'buy spam', nonce: `c${round}` }, isType('error'));
      await c.request('{not json', isType('error'));
      expect((await json(`/api/v1/rooms/${room}/messages?limit=10`, {}, bob.token)).status).toBe(200);
      expect((await json('/api/v1/users/me', {}, alice.token)).status).toBe(200);
      expect((await json('/api/v1/users/me')).status).toBe(401);
    }
    expect(round).toBeLessThan(400);
    // A timeout, a ban, and a join the ban refuses.
    expect((await json(`/api/v1/rooms/${room}/bans`, { method: 'POST', body: JSON.stringify({ userId: carol.id, durationSec: 60 }) }, root.token)).status).toBe(201);
    expect((await json('/api/v1/bans', { method: 'POST', body: JSON.stringify({ userId: bob.id, reason: 'test' }) }, root.token)).status).toBe(201);
    await b.next(isType('banned'));
    await b.request({ type: 'join', room }, isType('error'));

    // Every metric a panel or a rule reads is one some service exports.
    const exported = new Set<string>();
    for (const s of Object.values(services)) {
      for (const [name, type] of metricFamilies(await (await fetch(`${s.url}/metrics`)).text())) {
        exported.add(name);
        if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(name + suffix);
      }
    }
    // … and documented (prom-client's own process metrics are, as a family).
    const docs = readFileSync(fileURLToPath(new URL('../../../../docs/OBSERVABILITY.md', import.meta.url)), 'utf8');
    for (const name of exported) {
      if (/^chatorbit_(process|nodejs)_/.test(name) || /_(bucket|sum|count)$/.test(name) && !name.endsWith('_total')) continue;
      expect(docs, `${name} in docs/OBSERVABILITY.md`).toContain(`\`${name}\``);
    }
    const queries = panelQueries();
    for (const q of queries) for (const metric of metricsIn(q.expr)) expect(exported, `${q.dashboard} / ${q.panel} reads ${metric}`).toContain(metric);

    // Every panel query returns data: at least one series with a number (not NaN).
    const hasData = async (expr: string) => (await prom.query(expr)).some((r) => Number.isFinite(Number(r.value[1])));
    await waitFor(
      async () => {
        for (const q of queries) if (!(await hasData(substitute(q.expr, namespace)))) throw new Error(`no data: ${q.dashboard} / ${q.panel}: ${q.expr}`);
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 500, message: 'every panel to show data' },
    );

    // The rules: loaded, every metric they read exported, every one evaluated without error.
    const rules = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; query: string; health: string; lastError?: string; state: string }> }> };
    };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.length).toBe(11);
    for (const rule of loaded) for (const metric of metricsIn(rule.query)) expect(exported, `${rule.name} reads ${metric}`).toContain(metric);
    await waitFor(
      async () => {
        const now = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as typeof rules;
        return now.data.groups.flatMap((g) => g.rules).every((r) => r.health === 'ok');
      },
      { timeoutMs: 10_000, message: 'every rule to be evaluated' },
    );
  }, 180_000);
});
