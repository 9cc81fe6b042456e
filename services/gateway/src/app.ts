import type { FastifyInstance } from 'fastify';
import fastifyCors from '@fastify/cors';
import { createBaseApp, healthPlugin, type ReadinessChecks } from '@chatorbit/shared';
import type { GatewayConfig } from './config.ts';
import { corsOptions } from './cors.ts';
import { registerHttpProxy, serviceOf, type HttpRoute } from './http-proxy.ts';
import { httpOpenApiSource, type OpenApiDoc } from './openapi.ts';
import { apiDocsPlugin } from './api-docs.ts';
import { registerWsProxy, type WsRoute } from './ws-proxy.ts';

const READINESS_TIMEOUT_MS = 2_000;

/** The public entry point: one port in front of auth, user and chat. Never listens. */
export async function buildGatewayApp(config: GatewayConfig): Promise<FastifyInstance> {
  const upstreams = { auth: config.AUTH_URL, user: config.USER_URL, chat: config.CHAT_URL };
  const httpRoutes: HttpRoute[] = [
    { prefix: '/api/v1/auth', service: 'auth', upstream: upstreams.auth },
    { prefix: '/.well-known/jwks.json', exact: true, service: 'auth', upstream: upstreams.auth },
    { prefix: '/api/v1/users', service: 'user', upstream: upstreams.user },
    { prefix: '/api/v1/rooms', service: 'chat', upstream: upstreams.chat },
    // Moderation outside a room: global bans, the default rate limit, the audit log.
    { prefix: '/api/v1/bans', service: 'chat', upstream: upstreams.chat },
    { prefix: '/api/v1/ratelimit', service: 'chat', upstream: upstreams.chat },
    { prefix: '/api/v1/audit', service: 'chat', upstream: upstreams.chat },
    { prefix: '/api/v1/settings', service: 'chat', upstream: upstreams.chat },
    // The original frontend's API (COMPAT.md).
    ...['/register', '/login', '/change-password', '/logout'].map((prefix) => ({ prefix, exact: true, service: 'auth', upstream: upstreams.auth, compat: true })),
    { prefix: '/user', service: 'user', upstream: upstreams.user, compat: true },
    { prefix: '/chat', service: 'chat', upstream: upstreams.chat, compat: true },
  ];
  const wsRoutes: WsRoute[] = [
    { path: '/ws', service: 'chat', upstream: upstreams.chat },
    // The original frontend's socket path (COMPAT.md).
    { path: '/ws/chat', service: 'chat', upstream: upstreams.chat },
  ];

  // The gateway serves the merged document of every service at /openapi.json instead of its own.
  const app = await createBaseApp('gateway', config.LOG_LEVEL, { openapiRoute: false });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  const checks: ReadinessChecks = Object.fromEntries(
    Object.entries(upstreams).map(([service, url]) => [service, () => healthz(url)]),
  );
  await app.register(healthPlugin, { checks });
  const cors = corsOptions(config.CORS_ORIGINS);
  if (cors) await app.register(fastifyCors, cors);
  await registerHttpProxy(app, httpRoutes);
  registerWsProxy(app, wsRoutes);
  await app.register(apiDocsPlugin, {
    sources: [
      ...Object.entries(upstreams).map(([service, url]) => httpOpenApiSource(service, url)),
      { service: 'gateway', load: async () => app.swagger() as OpenApiDoc },
    ],
    routedTo: (path) => (path === '/asyncapi.json' ? 'gateway' : serviceOf(httpRoutes, path)),
  });
  return app;
}

/** Resolves when the upstream's /healthz answers 200; the error message is shown on /readyz. */
async function healthz(baseUrl: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(new URL('/healthz', baseUrl), { signal: AbortSignal.timeout(READINESS_TIMEOUT_MS) });
  } catch {
    throw new Error('unreachable');
  }
  await response.body?.cancel();
  if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
}
