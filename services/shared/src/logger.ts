import { randomUUID } from 'node:crypto';
import type { FastifyServerOptions } from 'fastify';

/**
 * Fastify server options for JSON logs (pino) with request ids: an incoming `x-request-id` is kept
 * (so the gateway's id follows a request into every service), otherwise a UUID is generated.
 */
export function serverOptions(service: string, level: string): FastifyServerOptions {
  return {
    logger:
      level === 'silent'
        ? false
        : {
            level,
            base: { service },
            redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
            serializers: {
              req: (req: { method: string; url: string; ip?: string }) => ({
                method: req.method,
                url: redactUrl(req.url),
                remoteAddress: req.ip,
              }),
            },
          },
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 64 * 1024,
    // X-Forwarded-* is believed only from loopback and private ranges (the ingress, the gateway),
    // never from a client on the internet.
    trustProxy: 'loopback, linklocal, uniquelocal, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16',
  };
}

/** A URL for the logs: token-like query values (`?token=`, `?access_token=`) are masked. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_)?token=)[^&#]*/gi, '$1[redacted]');
}
