import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { FastifyServerOptions } from 'fastify';
import type { LoggerOptions } from 'pino';
import { TRUSTED_PROXY_RANGES } from './client-address.ts';

/**
 * Paths pino masks in every log line, wherever a secret could be put by mistake: credentials in
 * request headers, and token, password or cookie fields at the top level or one level down (a
 * logged body, config or error).
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  ...['password', 'currentPassword', 'newPassword', 'token', 'accessToken', 'refreshToken', 'cookie', 'authorization', 'secret', 'privateKey']
    .flatMap((key) => [key, `*.${key}`]),
  'JWT_PRIVATE_KEY',
  'ADMIN_PASSWORD',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
  '*.JWT_PRIVATE_KEY',
  '*.ADMIN_PASSWORD',
  '*.REDIS_PASSWORD',
  '*.REDIS_SENTINEL_PASSWORD',
];

/**
 * The pino options of every service: JSON lines with the service name, secrets redacted (see
 * REDACTED_PATHS; token-like query values masked in URLs), and, when tracing is on and a span is
 * active, its `traceId` and `spanId` on each line.
 */
export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.ip,
      }),
    },
    mixin() {
      const context = trace.getActiveSpan()?.spanContext();
      return context ? { traceId: context.traceId, spanId: context.spanId } : {};
    },
  };
}

/**
 * Fastify server options for JSON logs (pino) with request ids: an incoming `x-request-id` is kept
 * (so the gateway's id follows a request into every service), otherwise a UUID is generated.
 */
export function serverOptions(service: string, level: string): FastifyServerOptions {
  return {
    logger: level === 'silent' ? false : loggerOptions(service, level),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 64 * 1024,
    // X-Forwarded-* is believed only from loopback and private ranges (the ingress, the gateway),
    // never from a client on the internet.
    trustProxy: [...TRUSTED_PROXY_RANGES],
  };
}

/** A URL for the logs: token-like query values (`?token=`, `?access_token=`) are masked. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_)?token=)[^&#]*/gi, '$1[redacted]');
}
