import { Counter, Histogram } from 'prom-client';
import type { MongoClient } from 'mongodb';
import { processRegistry } from './process.ts';

let metrics: ReturnType<typeof create> | undefined;

function create() {
  const registers = [processRegistry()];
  return {
    duration: new Histogram({
      name: 'chatorbit_mongodb_command_duration_seconds',
      help: 'MongoDB commands that succeeded, by command name (find, insert, update, …), as the driver timed them.',
      labelNames: ['command'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    errors: new Counter({
      name: 'chatorbit_mongodb_command_errors_total',
      help: 'MongoDB commands that failed (error reply or network error), by command name.',
      labelNames: ['command'] as const,
      registers,
    }),
  };
}

const instrumented = new WeakSet<MongoClient>();

/**
 * Records the client's commands (latency, failures) in the process registry. Turns on the
 * driver's command monitoring, which must happen before connect(). Returns the client.
 */
export function instrumentMongo(client: MongoClient): MongoClient {
  if (instrumented.has(client)) return client;
  instrumented.add(client);
  metrics ??= create();
  const { duration, errors } = metrics;
  // The driver's setter (untyped): command events are emitted by clients connected after it.
  (client as unknown as { monitorCommands: boolean }).monitorCommands = true;
  client.on('commandSucceeded', (event) => duration.observe({ command: event.commandName }, event.duration / 1000));
  client.on('commandFailed', (event) => errors.inc({ command: event.commandName }));
  return client;
}
