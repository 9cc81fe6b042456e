import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createBaseApp } from './base-app.ts';
import { healthPlugin } from './health.ts';

describe('healthPlugin', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
  });

  const start = async (opts: Parameters<typeof healthPlugin>[1]) => {
    app = await createBaseApp('health-test', 'silent');
    await app.register(healthPlugin, opts);
    await app.ready();
    return app;
  };
  const down = () => Promise.reject(new Error('connection refused'));
  const up = () => Promise.resolve();

  it('is unready when a gating check fails, naming it', async () => {
    const res = await (await start({ checks: { broker: down, log: up } })).inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'not_ready', checks: { broker: 'connection refused', log: 'ok' } });
  });

  it('stays ready when only a report-only check fails, and still reports it', async () => {
    const ready = await start({ checks: { broker: up, log: down }, reportOnly: ['log'] });
    const res = await ready.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { broker: 'ok', log: 'connection refused' } });
    const metrics = (await ready.inject('/metrics')).body;
    expect(metrics).toMatch(/chatorbit_dependency_up\{[^}]*dependency="log"[^}]*\} 0/);
    expect(metrics).toMatch(/chatorbit_ready(\{[^}]*\})? 1/);
  });
});
