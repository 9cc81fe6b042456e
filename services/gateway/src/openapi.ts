import { isDeepStrictEqual } from 'node:util';
import { AppError } from '@chatorbit/shared';

/** The parts of an OpenAPI 3.1 document the merge reads; the rest is carried over as it is. */
export interface OpenApiDoc {
  openapi: string;
  info: Record<string, unknown>;
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  security?: unknown[];
  tags?: Array<{ name: string; description?: string }>;
  [key: string]: unknown;
}

/** One service's document. */
export interface ServiceDoc {
  service: string;
  doc: OpenApiDoc;
}

const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Raised when two services declare the same operation, or a component name cannot be made unique. */
export class OpenApiMergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenApiMergeError';
  }
}

/**
 * Merges the services' documents into one, as the gateway serves them.
 * - Operations: only those the gateway routes to the service that declared them (`routedTo`);
 *   two services declaring the same method and path is an error. Each operation without tags is
 *   tagged with its service; every operation gets `x-service`.
 * - Components: the same name with the same content is kept once; the same name with different
 *   content is renamed `<service>_<name>` in that service's part, its `$ref`s rewritten.
 * - A service whose top-level `security` differs from the first one's gets it on each of its
 *   operations that has none, so no operation changes meaning.
 */
export function mergeOpenApi(
  parts: readonly ServiceDoc[],
  info: Record<string, unknown>,
  routedTo: (path: string) => string | undefined,
): OpenApiDoc {
  const merged: OpenApiDoc = { openapi: '3.1.0', info, paths: {}, components: {} };
  const security = parts[0]?.doc.security;
  if (security) merged.security = security;
  const tags = new Map<string, { name: string; description?: string }>();
  const owner = new Map<string, string>();

  for (const { service, doc } of parts) {
    const renames = new Map<string, string>();
    const components = merged.components!;
    for (const [section, entries] of Object.entries(doc.components ?? {})) {
      const target = (components[section] ??= {});
      for (const [name, value] of Object.entries(entries)) {
        if (!(name in target) || isDeepStrictEqual(target[name], value)) continue;
        const renamed = `${service}_${name}`;
        if (renamed in target && !isDeepStrictEqual(target[renamed], value)) {
          throw new OpenApiMergeError(`component ${section}/${name} of ${service} clashes, and so does ${renamed}`);
        }
        renames.set(`#/components/${section}/${name}`, `#/components/${section}/${renamed}`);
      }
    }
    const part = renames.size > 0 ? rewriteRefs(doc, renames) : doc;
    for (const [section, entries] of Object.entries(part.components ?? {})) {
      for (const [name, value] of Object.entries(entries)) {
        const key = renames.get(`#/components/${section}/${name}`)?.split('/').at(-1) ?? name;
        components[section]![key] = value;
      }
    }

    const ownSecurity = part.security !== undefined && !isDeepStrictEqual(part.security, security) ? part.security : undefined;
    for (const [path, item] of Object.entries(part.paths ?? {})) {
      if (routedTo(path) !== service) continue;
      const target = (merged.paths![path] ??= {});
      for (const [key, value] of Object.entries(item)) {
        if (!methods.has(key)) {
          if (key in target && !isDeepStrictEqual(target[key], value)) throw new OpenApiMergeError(`${path}: ${key} differs between services`);
          target[key] = value;
          continue;
        }
        const operation = `${key.toUpperCase()} ${path}`;
        if (owner.has(operation)) throw new OpenApiMergeError(`${operation} is declared by both ${owner.get(operation)} and ${service}`);
        owner.set(operation, service);
        const op = { ...(value as Record<string, unknown>) };
        if (!Array.isArray(op.tags) || op.tags.length === 0) op.tags = [service];
        if (ownSecurity && op.security === undefined) op.security = ownSecurity;
        op['x-service'] = service;
        target[key] = op;
        for (const tag of op.tags as string[]) if (!tags.has(tag)) tags.set(tag, { name: tag });
      }
    }
    for (const tag of part.tags ?? []) tags.set(tag.name, { ...tags.get(tag.name), ...tag });
  }
  merged.tags = [...tags.values()];
  return merged;
}

function rewriteRefs<T>(value: T, renames: ReadonlyMap<string, string>): T {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, renames)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof v === 'string' ? (renames.get(v) ?? v) : rewriteRefs(v, renames);
  }
  return out as T;
}

export interface OpenApiSource {
  service: string;
  /** Fetches the service's document; rejects when it cannot. */
  load(): Promise<OpenApiDoc>;
}

/** A service's /openapi.json over HTTP. */
export function httpOpenApiSource(service: string, baseUrl: string, timeoutMs = 2_000): OpenApiSource {
  return {
    service,
    async load() {
      const response = await fetch(new URL('/openapi.json', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`/openapi.json answered ${response.status}`);
      }
      const doc = (await response.json()) as OpenApiDoc;
      if (typeof doc?.openapi !== 'string' || !doc.openapi.startsWith('3.') || typeof doc.paths !== 'object') {
        throw new Error('/openapi.json is not an OpenAPI 3 document');
      }
      return doc;
    },
  };
}

/**
 * The merged document, rebuilt at most every `ttlMs` (services change their routes only when
 * redeployed). Each service's last good document is kept: one that cannot be fetched now is
 * served from it; one never fetched makes the document unavailable (503 naming the service)
 * rather than silently incomplete.
 */
export class MergedOpenApi {
  private readonly sources: readonly OpenApiSource[];
  private readonly build: (parts: ServiceDoc[]) => OpenApiDoc;
  private readonly ttlMs: number;
  private readonly lastGood = new Map<string, OpenApiDoc>();
  private cached: { doc: OpenApiDoc; at: number } | undefined;
  private pending: Promise<OpenApiDoc> | undefined;
  private readonly onError: (service: string, err: unknown) => void;

  constructor(opts: {
    sources: readonly OpenApiSource[];
    build: (parts: ServiceDoc[]) => OpenApiDoc;
    ttlMs: number;
    onError: (service: string, err: unknown) => void;
  }) {
    this.sources = opts.sources;
    this.build = opts.build;
    this.ttlMs = opts.ttlMs;
    this.onError = opts.onError;
  }

  /** The latest document built (undefined before the first get()). */
  get latest(): OpenApiDoc | undefined {
    return this.cached?.doc;
  }

  get(): Promise<OpenApiDoc> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return Promise.resolve(this.cached.doc);
    this.pending ??= this.refresh().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async refresh(): Promise<OpenApiDoc> {
    const parts = await Promise.all(
      this.sources.map(async ({ service, load }): Promise<ServiceDoc> => {
        try {
          const doc = await load();
          this.lastGood.set(service, doc);
          return { service, doc };
        } catch (err) {
          this.onError(service, err);
          const stale = this.lastGood.get(service);
          if (!stale) throw new AppError(503, 'unavailable', `the OpenAPI document of ${service} is unavailable; try again`);
          return { service, doc: stale };
        }
      }),
    );
    const doc = this.build(parts);
    this.cached = { doc, at: Date.now() };
    return doc;
  }
}
