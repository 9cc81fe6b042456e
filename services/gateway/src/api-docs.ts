import type { FastifyInstance } from 'fastify';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { Type } from 'typebox';
import { buildAsyncApi } from '@chatorbit/shared';
import { MergedOpenApi, mergeOpenApi, type OpenApiSource } from './openapi.ts';

export interface ApiDocsOptions {
  /** Every service's document, the gateway's own included. */
  sources: OpenApiSource[];
  /** The service the gateway routes a path to: an operation is listed only where it is reachable. */
  routedTo: (path: string) => string | undefined;
}

/**
 * The Content-Security-Policy of /docs (every other response has `default-src 'none'`): Swagger
 * UI's scripts, styles and the document from this origin only; inline styles, which its React
 * components set; images from this origin and data: URLs (its icons); never framed.
 */
export const DOCS_CSP =
  "default-src 'self'; base-uri 'self'; connect-src 'self'; font-src 'self' data:; form-action 'self'; frame-ancestors 'none'; " +
  "img-src 'self' data:; object-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'";

/** Services' documents are fetched again after this long: they change only when a service is redeployed. */
const OPENAPI_TTL_MS = 10_000;

const info = {
  title: 'ChatOrbit API',
  version: '1',
  description:
    'Every HTTP route of every ChatOrbit service, as the gateway serves them (each operation names its service in `x-service`). ' +
    'The WebSocket protocols (`/ws`, and `/ws/chat` of the original frontend) are described in the AsyncAPI document at `/asyncapi.json`. ' +
    'Errors are `{ "error": { "code", "message" } }`, except on the original frontend\'s routes (tag "original API"): `{ "error": "<message>" }`.',
};

const tagDescriptions: Record<string, string> = {
  auth: 'Accounts and access tokens (auth service).',
  user: 'Account lookups (user service).',
  chat: 'Room history (chat service).',
  moderation: 'Rooms, roles, bans, rate limits, settings and the audit log (chat service).',
  'original API': "The original frontend's API, kept as it was: errors are `{ \"error\": \"<message>\" }` (README: The original frontend).",
  gateway: 'Served by the gateway itself.',
};

/**
 * GET /openapi.json: the services' OpenAPI documents merged (fetched from each, cached for 10 s);
 * /docs: Swagger UI on it, served from the package (no CDN); GET /asyncapi.json: the WebSocket
 * protocols as AsyncAPI 3.0.
 */
export async function apiDocsPlugin(app: FastifyInstance, opts: ApiDocsOptions): Promise<void> {
  const merged = new MergedOpenApi({
    sources: opts.sources,
    ttlMs: OPENAPI_TTL_MS,
    build: (parts) => {
      const doc = mergeOpenApi(parts, info, opts.routedTo);
      doc.tags = doc.tags?.map((tag) => (tag.description || !tagDescriptions[tag.name] ? tag : { ...tag, description: tagDescriptions[tag.name] }));
      return doc;
    },
    onError: (service, err) => app.log.warn({ err, service }, 'could not fetch the OpenAPI document of a service'),
  });

  app.get('/openapi.json', { schema: { hide: true } as Record<string, unknown>, logLevel: 'warn' }, () => merged.get());

  app.get(
    '/asyncapi.json',
    {
      logLevel: 'warn',
      schema: {
        summary: 'The WebSocket protocols (/ws and /ws/chat) as an AsyncAPI 3.0 document',
        description: 'Frames, error codes and close codes, generated from the schemas the chat service validates frames with. Its server is this gateway.',
        security: [],
        response: { 200: Type.Unknown({ description: 'An AsyncAPI 3.0 document.' }) },
      },
    },
    async (request) => buildAsyncApi({ host: request.host, protocol: request.protocol === 'https' ? 'wss' : 'ws' }),
  );

  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    // Swagger UI's own files only (scripts, styles, images, the document): no CDN, no inline script.
    staticCSP: DOCS_CSP,
    logLevel: 'warn',
    uiConfig: { deepLinking: true, tryItOutEnabled: false },
    uiHooks: {
      // The UI reads /docs/json: build (or refresh) the merged document first.
      preHandler: async (request) => {
        if (/\/(json|yaml)$/.test(request.url.split('?', 1)[0]!)) await merged.get();
      },
    },
    transformSpecificationClone: false,
    transformSpecification: () => merged.latest as Record<string, unknown>,
  });
}
