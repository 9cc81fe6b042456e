import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';

/** A readiness check: resolves when the dependency answers, rejects (or times out) when not. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

const CHECK_TIMEOUT_MS = 2_000;

/**
 * /healthz: the process is alive (no dependency is consulted, so a Redis outage never restarts
 * pods). /readyz: every dependency answered within 2 s and the server is not shutting down.
 * Checks named in `reportOnly` are run and reported (in /readyz's body and
 * chatorbit_dependency_up) but do not make the server unready: a dependency it works without.
 */
export const healthPlugin = fp<{ checks?: ReadinessChecks; reportOnly?: readonly string[] }>(
  async (app, opts) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    const schema = { hide: true } as Record<string, unknown>;
    app.get('/healthz', { schema, logLevel: 'warn' }, async () => ({ status: 'ok' }));
    const runChecks = () =>
      Promise.all(
        Object.entries(opts.checks ?? {}).map(async ([name, check]) => {
          try {
            await withTimeout(check(), CHECK_TIMEOUT_MS);
            return [name, 'ok'] as const;
          } catch (err) {
            return [name, err instanceof Error ? err.message : 'failed'] as const;
          }
        }),
      );
    const gates = (results: Awaited<ReturnType<typeof runChecks>>) =>
      results.every(([name, r]) => r === 'ok' || (opts.reportOnly ?? []).includes(name));
    app.get('/readyz', { schema, logLevel: 'warn' }, async (_request, reply) => {
      const results = await runChecks();
      const checks = Object.fromEntries(results);
      const ready = !closing && gates(results);
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : closing ? 'shutting_down' : 'not_ready', checks });
    });
    // The same checks at every scrape: a dependency's state without waiting for a probe (run
    // once for both gauges when they are collected together).
    let scraping: ReturnType<typeof runChecks> | undefined;
    const scrapeChecks = () => (scraping ??= runChecks().finally(() => (scraping = undefined)));
    if (app.hasDecorator('metrics')) {
      new Gauge({
        name: 'chatorbit_dependency_up',
        help: 'Whether a dependency answered its readiness check at scrape time (1) or not within 2 s (0). chat: broker (Redis), log (MongoDB); auth, user: mongo; gateway: auth, user, chat (their /healthz).',
        labelNames: ['dependency'] as const,
        registers: [app.metrics],
        async collect() {
          for (const [name, result] of await scrapeChecks()) this.set({ dependency: name }, result === 'ok' ? 1 : 0);
        },
      });
      new Gauge({
        name: 'chatorbit_ready',
        help: 'What /readyz would answer at scrape time: 1 ready, 0 not ready or shutting down.',
        registers: [app.metrics],
        async collect() {
          this.set(!closing && gates(await scrapeChecks()) ? 1 : 0);
        },
      });
    }
  },
  { name: 'chatorbit-health' },
);

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
