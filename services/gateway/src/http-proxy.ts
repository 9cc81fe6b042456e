import type { FastifyInstance } from 'fastify';
import fastifyHttpProxy from '@fastify/http-proxy';
import { AppError, traceHeaders, useCompatErrors } from '@chatorbit/shared';
import { forwardedHeaders } from './forwarded.ts';

export interface HttpRoute {
  /** Path prefix on the gateway; the upstream receives the same path and query string. */
  prefix: string;
  /** Match the prefix itself only, not paths below it. */
  exact?: boolean;
  service: string;
  /** Base URL of the upstream. */
  upstream: string;
  /** A route of the original frontend's API: the gateway's own errors there are `{ error: "<message>" }`. */
  compat?: boolean;
}

/** The service a path (OpenAPI or Fastify form) is routed to, if any. */
export function serviceOf(routes: readonly HttpRoute[], path: string): string | undefined {
  return routes.find((r) => path === r.prefix || (!r.exact && path.startsWith(`${r.prefix}/`)))?.service;
}

/**
 * Forwards each route to its upstream. Bodies are read here, up to the server's bodyLimit (so an
 * oversized one, chunked or not, is refused with 413 before any service sees it), and sent on
 * byte for byte with their original content type.
 */
export async function registerHttpProxy(app: FastifyInstance, routes: readonly HttpRoute[]): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    // The services document these paths themselves; the gateway's document merges theirs.
    scope.addHook('onRoute', (options) => {
      options.schema = { ...options.schema, hide: true } as typeof options.schema;
    });
    for (const route of routes) {
      // Its own scope, so a compat route's errors (413, 502) take the original API's shape.
      await scope.register(async (child) => {
        if (route.compat) useCompatErrors(child);
        await child.register(fastifyHttpProxy, {
          upstream: route.upstream,
          prefix: route.prefix,
          rewritePrefix: route.prefix,
          routes: route.exact ? ['/'] : ['/', '/*'],
          proxyPayloads: false,
          disableRequestLogging: true,
          // reply-from retries GETs answered 503 up to 10 times by default; pass the 503 on instead.
          retryMethods: [],
          handler: (request, reply, dest, options) =>
            Buffer.isBuffer(request.body)
              ? reply.from(dest, { ...options, body: request.body, contentType: request.headers['content-type'] ?? 'application/octet-stream' })
              : reply.from(dest, options),
          replyOptions: {
            // The trace goes on to the service (reply-from's undici is not instrumented).
            // `Expect: 100-continue` is the gateway's business (it has read the body already);
            // passed on, it made the upstream request fail (502 for every `curl -d` over 1 KiB).
            rewriteRequestHeaders: (request, { expect: _expect, ...headers }) => ({ ...headers, ...forwardedHeaders(request.raw, request.id), ...traceHeaders() }),
            // reply-from has already logged the cause; the client learns only which service is down.
            onError: (reply) => void reply.send(new AppError(502, 'bad_gateway', `${route.service} is unavailable`)),
          },
        });
      });
    }
  });
}
