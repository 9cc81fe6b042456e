import fp from 'fastify-plugin';

/** A readiness check: resolves when the dependency answers, rejects (or times out) when not. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

const CHECK_TIMEOUT_MS = 2_000;

/**
 * /healthz: the process is alive (no dependency is consulted, so a Redis outage never restarts
 * pods). /readyz: every dependency answered within 2 s and the server is not shutting down.
 */
export const healthPlugin = fp<{ checks?: ReadinessChecks }>(
  async (app, opts) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    const schema = { hide: true } as Record<string, unknown>;
    app.get('/healthz', { schema, logLevel: 'warn' }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema, logLevel: 'warn' }, async (_request, reply) => {
      const entries = Object.entries(opts.checks ?? {});
      const results = await Promise.all(
        entries.map(async ([name, check]) => {
          try {
            await withTimeout(check(), CHECK_TIMEOUT_MS);
            return [name, 'ok'] as const;
          } catch (err) {
            return [name, err instanceof Error ? err.message : 'failed'] as const;
          }
        }),
      );
      const checks = Object.fromEntries(results);
      const ready = !closing && results.every(([, r]) => r === 'ok');
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : closing ? 'shutting_down' : 'not_ready', checks });
    });
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
