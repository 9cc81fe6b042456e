import type { FastifyCorsOptions } from '@fastify/cors';

/** @fastify/cors options for CORS_ORIGINS, or undefined when it is empty (no CORS headers at all). */
export function corsOptions(origins: string): FastifyCorsOptions | undefined {
  const list = origins.split(',').map((o) => o.trim()).filter(Boolean);
  if (list.length === 0) return undefined;
  const exposedHeaders = ['x-request-id'];
  // The config schema only admits `*` on its own; browsers refuse `*` together with credentials.
  if (list[0] === '*') return { origin: '*', credentials: false, exposedHeaders };
  const allowed = new Set(list);
  return {
    // false (rather than a list) for other origins: they get no CORS headers at all, not even
    // Access-Control-Allow-Credentials.
    origin: (requestOrigin, callback) => callback(null, requestOrigin !== undefined && allowed.has(requestOrigin) ? requestOrigin : false),
    credentials: true,
    exposedHeaders,
  };
}
