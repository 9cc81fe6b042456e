import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';

const tracer = trace.getTracer('chatorbit');

/**
 * Runs `fn` in a producer span (a message sent); `fn` gets the span's W3C traceparent to carry in
 * the bus envelope, or undefined when the span is not sampled (or tracing is off: then the span
 * is a no-op and this costs a function call).
 */
export async function inProducerSpan<T>(name: string, attributes: Attributes, fn: (traceparent: string | undefined) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.PRODUCER, attributes }, async (span) => {
    try {
      return await fn(span.isRecording() ? traceparentOf() : undefined);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * The active trace context as headers (`traceparent`, `tracestate`) for a call the HTTP
 * instrumentation does not see (the gateway's undici proxy); empty when tracing is off.
 */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** The active context as a W3C traceparent (`00-<trace>-<span>-<flags>`), if any. */
export function traceparentOf(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/**
 * Runs `fn` (a node's delivery of one message to its local members) in a consumer span that
 * continues the sender's trace: one span per message per node, never one per recipient. Without
 * a traceparent (not sampled, tracing off, an older node) `fn` just runs (`attributes` is not called).
 */
export function inConsumerSpan<T>(name: string, traceparent: string | undefined, attributes: () => Attributes, fn: () => T): T {
  if (traceparent === undefined) return fn();
  const parent = propagation.extract(context.active(), { traceparent });
  const span = tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes: attributes() }, parent);
  try {
    return context.with(trace.setSpan(parent, span), fn);
  } finally {
    span.end();
  }
}
