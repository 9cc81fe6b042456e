import Fastify, { type FastifySchemaCompiler } from 'fastify';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import { serverOptions } from '../logger.ts';
import fastifySwagger from '@fastify/swagger';
import { errorsPlugin } from './errors.ts';
import { metricsPlugin } from './metrics.ts';
import { registerLogLevelSignal } from './log-level.ts';

/**
 * Bodies are validated strictly, as declared (a number where a string is declared is an error,
 * never coerced). Query strings, params and headers arrive as strings: they are converted to the
 * declared types and given their defaults first, then checked.
 */
const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  if (route.httpPart === 'body') return TypeBoxValidatorCompiler(route);
  const schema = route.schema;
  const check = Compile(schema);
  return (input: unknown) => {
    const value = Value.Convert(schema, Value.Default(schema, Value.Clone(input)));
    if (check.Check(value)) return { value };
    return {
      error: check.Errors(value).map((e) => ({
        message: e.message,
        instancePath: e.instancePath,
        schemaPath: e.schemaPath,
        keyword: e.keyword,
        params: e.params,
      })),
    } as never;
  };
};

/**
 * Headers every response of every service and the gateway carries, unless a route set its own
 * (the gateway's /docs sets a CSP Swagger UI works with; JWKS sets its cache lifetime). The API
 * answers JSON only: nothing may sniff it into something else, frame it, run scripts from it,
 * learn the URL it was called from, or keep a copy of a token it carried.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
};

/** A route as registered: what the OpenAPI document of its service must describe unless hidden. */
export interface DeclaredRoute {
  method: string;
  /** Fastify's path, e.g. `/user/:id`. */
  url: string;
  /** Left out of the OpenAPI document on purpose (`schema.hide`: health, metrics, the document itself). */
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on this app, in order (HEAD routes Fastify derives from GETs excluded). */
    declaredRoutes: DeclaredRoute[];
  }
}

export interface BaseAppOptions {
  /** Serve this app's own OpenAPI document at GET /openapi.json (default true; the gateway serves a merged one). */
  openapiRoute?: boolean;
}

/**
 * A service's Fastify app with what every service has: JSON logs with request ids, the TypeBox
 * type provider and validation, the one error handler, security headers, and /metrics. Health checks and routes
 * are the caller's.
 */
export async function createBaseApp(service: string, logLevel: string, options: BaseAppOptions = {}) {
  const app = Fastify(serverOptions(service, logLevel))
    .setValidatorCompiler(validatorCompiler)
    .withTypeProvider<TypeBoxTypeProvider>();
  registerLogLevelSignal(app, logLevel);
  const declared: DeclaredRoute[] = [];
  app.decorate('declaredRoutes', declared);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      // Fastify adds a HEAD route after each GET (exposeHeadRoutes): not one the service declared.
      if (method === 'HEAD' && declared.some((r) => r.url === route.url && r.method === 'GET')) continue;
      declared.push({
        method,
        url: route.url,
        // Read when asked: onRoute hooks of inner scopes, which run after this one, may still hide it.
        get hidden() {
          return Boolean((route.schema as { hide?: boolean } | undefined)?.hide);
        },
      });
    }
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(name)) void reply.header(name, value);
    return payload;
  });
  await app.register(errorsPlugin);
  await app.register(metricsPlugin, { service });
  // The OpenAPI 3.1 document of this service's routes, built from their schemas.
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `ChatOrbit ${service}`, version: '1' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          tokenCookie: { type: 'apiKey', in: 'cookie', name: 'token', description: "The cookie POST /login sets; the original frontend's routes accept it instead of a bearer token." },
        },
      },
      security: [{ bearer: [] }],
    },
  });
  if (options.openapiRoute !== false) {
    app.get('/openapi.json', { schema: { hide: true } as Record<string, unknown>, logLevel: 'warn' }, async () => app.swagger());
  }
  return app;
}
export type BaseApp = Awaited<ReturnType<typeof createBaseApp>>;
