import { Registry, collectDefaultMetrics } from 'prom-client';

let registry: Registry | undefined;

/**
 * The registry of what belongs to the process rather than to one service app: CPU, memory,
 * event-loop lag and GC (prom-client's default metrics), and the Redis and MongoDB client
 * metrics. Created once per process whatever the number of apps in it (the standalone mode runs
 * four); every app's /metrics serves it after its own registry.
 */
export function processRegistry(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'chatorbit_' });
  }
  return registry;
}
