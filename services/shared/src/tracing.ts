// Tracing for a service process, loaded before it:
//   node --import ./services/shared/src/tracing.ts services/chat/src/main.ts
// (or NODE_OPTIONS=--import=<path of this file>). Off, and nothing of the SDK is even loaded,
// unless an OTLP endpoint or a traces exporter is configured (see tracingEnabled).
//
// ESM modules (and CommonJS ones imported from ESM) are only instrumentable through a loader
// hook: import-in-the-middle's synchronous hooks are registered for the instrumented packages
// before anything imports them.
import { serviceNameOf, tracingEnabled } from './tracing/config.ts';

if (tracingEnabled(process.env)) {
  const { register } = await import('import-in-the-middle/register-hooks.mjs');
  register({ include: ['ioredis', 'mongodb', 'fastify', 'http', 'https', 'node:http', 'node:https'] });
  const { startTracing } = await import('./tracing/sdk.ts');
  const sdk = startTracing({ serviceName: serviceNameOf(process.argv[1]) });
  // Spans still buffered are sent when the service shuts down (onShutdown calls this).
  (globalThis as Record<symbol, unknown>)[Symbol.for('chatorbit.tracing.shutdown')] = () => sdk.shutdown();
}
