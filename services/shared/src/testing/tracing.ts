// Tracing into memory for tests: `await startTestTracing()` before the code under test is imported
// (a dynamic import after it), then read `exporter.getFinishedSpans()`.
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';

export async function startTestTracing(serviceName = 'chatorbit-test') {
  const { register } = await import('import-in-the-middle/register-hooks.mjs');
  register({ include: ['ioredis', 'mongodb', 'fastify', 'http', 'node:http'] });
  const { startTracing } = await import('../tracing/sdk.ts');
  const exporter = new InMemorySpanExporter();
  const sdk = startTracing({ serviceName, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  return { exporter, sdk };
}
