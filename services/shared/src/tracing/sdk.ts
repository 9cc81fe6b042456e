import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { FastifyOtelInstrumentation } from '@fastify/otel';

/** Probes and scrapes are not traced: they would be most of the spans and say nothing. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Starts the OpenTelemetry SDK: HTTP (server and client), ioredis, MongoDB and Fastify
 * instrumentations; W3C trace context. Exporter, endpoint, sampler and resource come from the
 * standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL,
 * OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME, …) unless `spanProcessors` is given (tests). Only
 * traces: metrics stay with Prometheus, logs with pino.
 *
 * Modules loaded before this runs are not instrumented: load it with `--import` (tracing.ts).
 */
export function startTracing(opts: { serviceName?: string; spanProcessors?: SpanProcessor[] } = {}): NodeSDK {
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const sdk = new NodeSDK({
    ...(opts.serviceName && !process.env.OTEL_SERVICE_NAME ? { serviceName: opts.serviceName } : {}),
    ...(opts.spanProcessors ? { spanProcessors: opts.spanProcessors } : {}),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?', 1)[0]!),
      }),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new MongoDBInstrumentation({ requireParentSpan: true }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true, ignorePaths: (opts) => UNTRACED_PATHS.has(opts.url) }),
    ],
  });
  sdk.start();
  return sdk;
}
