import { Counter, Gauge, Histogram } from 'prom-client';
import type { Redis } from 'ioredis';
import { processRegistry } from './process.ts';

/** Latency buckets for a command on a nearby server: 0.25 ms to 2.5 s. */
const COMMAND_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

let metrics: ReturnType<typeof create> | undefined;

function create() {
  const registers = [processRegistry()];
  return {
    duration: new Histogram({
      name: 'chatorbit_redis_command_duration_seconds',
      help: 'Redis commands that got a reply, by command (a send is one evalsha), from the call to the reply; blocking reads (xreadgroup … BLOCK) include their wait.',
      labelNames: ['command'] as const,
      buckets: COMMAND_BUCKETS,
      registers,
    }),
    errors: new Counter({
      name: 'chatorbit_redis_command_errors_total',
      help: 'Redis commands that failed (error reply, connection lost, retries exhausted), by command.',
      labelNames: ['command'] as const,
      registers,
    }),
    ready: new Gauge({
      name: 'chatorbit_redis_connections_ready',
      help: 'Redis connections of this process that are connected and ready, by role (pub, sub, persist).',
      labelNames: ['role'] as const,
      registers,
    }),
    reconnects: new Counter({
      name: 'chatorbit_redis_reconnections_total',
      help: 'Times a Redis connection became ready again after losing its server (a restart, a network cut, a Sentinel failover), by role.',
      labelNames: ['role'] as const,
      registers,
    }),
  };
}

/** The role part of a connection name: `chat-node1-pub` → `pub` (a bounded label; the pod says which node). */
export function redisRole(connectionName: string): string {
  return connectionName.slice(connectionName.lastIndexOf('-') + 1) || 'default';
}

const instrumented = new WeakSet<Redis>();

/**
 * Records every command of this client (latency, errors) and its connection state in the
 * process registry. Returns the client. A command that ioredis re-sends (after a reconnect, from
 * the offline queue) is measured once, from its first call to its reply.
 */
export function instrumentRedis(client: Redis, role: string): Redis {
  if (instrumented.has(client)) return client;
  instrumented.add(client);
  metrics ??= create();
  const { duration, errors, ready, reconnects } = metrics;
  const seen = new WeakSet<object>();
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], ...rest: unknown[]) => {
    if (!seen.has(command)) {
      seen.add(command);
      const started = performance.now();
      const name = command.name.toLowerCase();
      command.promise.then(
        () => duration.observe({ command: name }, (performance.now() - started) / 1000),
        () => errors.inc({ command: name }),
      );
    }
    return (send as (...args: unknown[]) => unknown)(command, ...rest);
  }) as Redis['sendCommand'];
  let wasReady = false;
  let isReady = false;
  client.on('ready', () => {
    if (wasReady) reconnects.inc({ role });
    wasReady = true;
    if (!isReady) ready.inc({ role });
    isReady = true;
  });
  const down = () => {
    if (isReady) ready.dec({ role });
    isReady = false;
  };
  client.on('close', down);
  client.on('end', down);
  ready.inc({ role }, 0); // the series exists (0) before the first connection
  return client;
}
