import fp from 'fastify-plugin';
import { Histogram, Registry } from 'prom-client';
import { processRegistry } from '../metrics/process.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** This service's Prometheus registry; domain metrics register here. */
    metrics: Registry;
  }
}

/**
 * /metrics and the HTTP request histogram, labelled by route template (never by raw URL, so a
 * room or user id never becomes a label). Each app has its own registry, so several services can
 * share one process (the standalone mode) without clashing.
 */
export const metricsPlugin = fp<{ service: string }>(
  async (app, opts) => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: opts.service });
    const perProcess = processRegistry();
    const duration = new Histogram({
      name: 'chatorbit_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    app.decorate('metrics', registry);
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      duration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
    app.get('/metrics', { schema: { hide: true } as Record<string, unknown>, logLevel: 'warn' }, async (_request, reply) => {
      void reply.header('content-type', registry.contentType);
      return `${await registry.metrics()}\n${await perProcess.metrics()}`;
    });
  },
  { name: 'chatorbit-metrics' },
);
