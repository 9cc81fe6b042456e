import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { trace } from '@opentelemetry/api';
import type { FastifyReply, FastifyServerOptions } from 'fastify';
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

/** A request id a client may choose: what the gateway and tracing tools send, never a whole log line. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's request id when it is a sane one (see REQUEST_ID), otherwise a new UUID. */
export function requestIdOf(req: { headers: Record<string, string | string[] | undefined> }): string {
  const header = req.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID.test(value) ? value : randomUUID();
}

/** A refusal of the HTTP parser (before any route): the one error shape, like every other error. */
function clientError(err: NodeJS.ErrnoException, socket: Duplex) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, string, string] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'the request took too long to arrive']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'the request headers are too large']
        : [400, 'bad_request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/**
 * Fastify server options for JSON logs (pino) with request ids: an incoming `x-request-id` is kept
 * when it is a sane one (so the gateway's id follows a request into every service), otherwise a
 * UUID is generated. Errors Fastify raises before any route (a path it cannot decode, the HTTP
 * parser's refusals) answer in the one error shape too.
 */
export function serverOptions(service: string, level: string): FastifyServerOptions {
  return {
    logger: level === 'silent' ? false : loggerOptions(service, level),
    requestIdHeader: false,
    genReqId: requestIdOf,
    bodyLimit: 64 * 1024,
    // Longer than any URL Node accepts: a long path parameter reaches its route, whose schema refuses it.
    routerOptions: { maxParamLength: 16 * 1024 },
    // X-Forwarded-* is believed only from loopback and private ranges (the ingress, the gateway),
    // never from a client on the internet.
    trustProxy: [...TRUSTED_PROXY_RANGES],
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).status(400).send({ error: { code: 'bad_request', message: `malformed URL: ${error.message}` } });
    },
    clientErrorHandler: clientError,
  };
}

/** A URL for the logs: token-like query values (`?token=`, `?access_token=`) are masked. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_)?token=)[^&#]*/gi, '$1[redacted]');
}
