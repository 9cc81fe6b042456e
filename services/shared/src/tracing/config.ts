/**
 * Whether tracing is on: an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), or OTEL_TRACES_EXPORTER names an exporter other than
 * `none`. OTEL_SDK_DISABLED=true turns it off whatever else is set.
 */
export function tracingEnabled(env: Record<string, string | undefined>): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter === 'none') return false;
  return Boolean(exporter || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** `chatorbit-chat` for services/chat/src/main.ts; `chatorbit` when the script says nothing. */
export function serviceNameOf(script: string | undefined): string {
  const match = /services[/\\]([a-z-]+)[/\\]src[/\\]main\.ts$/.exec(script ?? '');
  return match ? `chatorbit-${match[1]}` : 'chatorbit';
}
