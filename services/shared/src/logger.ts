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
          },
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 64 * 1024,
    trustProxy: true,
  };
}
