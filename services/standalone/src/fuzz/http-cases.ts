// Requests for fuzzing the HTTP routes, made from the services' own OpenAPI documents: every
// operation, its path and query parameters and its body, with values that fit the schema, values
// that almost do, and garbage; bodies of every content type; hostile headers.
import fc from 'fast-check';

type Json = Record<string, unknown>;

export interface Operation {
  service: string;
  method: string;
  /** OpenAPI path, e.g. `/api/v1/rooms/{room}/messages`. */
  path: string;
  /** A route of the original frontend's API: its errors are `{ error: "<message>" }`. */
  compat: boolean;
  params: Array<{ name: string; in: 'path' | 'query'; required: boolean; schema: Json }>;
  body: Json | undefined;
  examples: unknown[];
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** Every operation of an OpenAPI document, and the hidden operational routes every service has. */
export function operationsOf(service: string, doc: { paths: Record<string, Record<string, Json>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const content = (op.requestBody as { content?: Record<string, { schema?: Json; example?: unknown; examples?: Record<string, { value: unknown }> }> } | undefined)?.content;
      const json = content?.['application/json'];
      ops.push({
        service,
        method: method.toUpperCase(),
        path,
        compat: ((op.tags as string[] | undefined) ?? []).includes('original API'),
        params: ((op.parameters as Operation['params'] | undefined) ?? []).filter((p) => p.in === 'path' || p.in === 'query'),
        body: json?.schema,
        examples: json ? [json.example, ...Object.values(json.examples ?? {}).map((e) => e.value)].filter((e) => e !== undefined) : [],
      });
    }
  }
  for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) ops.push({ service, method: 'GET', path, compat: false, params: [], body: undefined, examples: [] });
  return ops;
}

/** Values the services know: real accounts, rooms with owners, and ids that exist nowhere. */
export interface Known {
  userIds: string[];
  rooms: string[];
  /** Header values a client could send as its credentials, valid or not, by what they are. */
  tokens: Record<string, string>;
}

const printable = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });
/** Strings that break naive parsers and paths. */
const nasty = fc.constantFrom('', ' ', '..', '../..', '%', '%00', '%2F', '/', '?', '#', '\u0000', '\uFFFF', '\uD800', '🙂', 'null', 'undefined', '__proto__', 'constructor', '-1', '1e309', 'a'.repeat(5_000), '<script>', "' OR 1=1 --", '{"$gt":""}', 'ａｄｍｉｎ');
const anyString = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), nasty);
const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(JSON.parse('{"__proto__":{"admin":true}}') as unknown, { constructor: { prototype: { admin: true } } }, [], {}, null));

/** Values for a JSON schema: fitting ones mostly, otherwise anything. */
export function valueOf(schema: Json | undefined, known: Known, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return anyJson;
  const fitting = fitsSchema(schema, known, depth);
  return fc.oneof({ weight: 6, arbitrary: fitting }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: anyString });
}

function fitsSchema(schema: Json, known: Known, depth: number): fc.Arbitrary<unknown> {
  const examples = (schema.examples as unknown[] | undefined) ?? [];
  const options: fc.Arbitrary<unknown>[] = [];
  if (examples.length) options.push(fc.constantFrom(...examples));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const parts = schema[key] as Json[] | undefined;
    if (parts?.length) return fc.oneof(...parts.map((p) => fitsSchema(p, known, depth + 1)));
  }
  const type = Array.isArray(schema.type) ? (schema.type as string[])[0] : (schema.type as string | undefined);
  switch (type) {
    case 'string': {
      const pattern = schema.pattern as string | undefined;
      if (pattern === '^[0-9a-f]{24}$') options.push(fc.constantFrom(...known.userIds));
      if (pattern?.startsWith('^[A-Za-z0-9_-]')) options.push(fc.constantFrom(...known.rooms));
      if (pattern) {
        try {
          options.push(fc.stringMatching(new RegExp(pattern), { size: 'small' }));
        } catch {
          // a pattern fast-check cannot generate from: plain strings below
        }
      }
      if (schema.format === 'email') options.push(fc.emailAddress());
      if (schema.format === 'uri') options.push(fc.webUrl());
      options.push(fc.string({ minLength: (schema.minLength as number | undefined) ?? 0, maxLength: Math.min((schema.maxLength as number | undefined) ?? 60, 300) }));
      break;
    }
    case 'integer':
      options.push(fc.integer({ min: (schema.minimum as number | undefined) ?? -1_000, max: (schema.maximum as number | undefined) ?? 1_000_000 }));
      break;
    case 'number':
      options.push(fc.double({ noNaN: true, min: (schema.minimum as number | undefined) ?? -1e6, max: (schema.maximum as number | undefined) ?? 1e9 }));
      break;
    case 'boolean':
      options.push(fc.boolean());
      break;
    case 'null':
      options.push(fc.constant(null));
      break;
    case 'array':
      options.push(fc.array(valueOf(schema.items as Json | undefined, known, depth + 1), { maxLength: Math.min((schema.maxItems as number | undefined) ?? 5, 5) }));
      break;
    case 'object': {
      const properties = (schema.properties as Record<string, Json> | undefined) ?? {};
      const record = fc.record(
        Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, valueOf(v, known, depth + 1)])),
        { requiredKeys: ((schema.required as string[] | undefined) ?? []).filter((k) => k in properties) },
      );
      // Sometimes with a property nobody declared.
      options.push(record, fc.tuple(record, anyString, anyJson).map(([r, k, v]) => ({ ...r, [k]: v })));
      break;
    }
    default:
      options.push(anyJson);
  }
  return fc.oneof(...options);
}

/** An Authorization header (or none): every role's valid token, broken ones, garbage. */
function authorization(known: Known): fc.Arbitrary<Record<string, string>> {
  const tokens = Object.values(known.tokens);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...tokens).map((t) => ({ authorization: `Bearer ${t}` })) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.constantFrom(...tokens).map((t) => ({ cookie: `token=${t}` })) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        printable(200).map((v) => ({ authorization: v })),
        printable(200).map((v) => ({ authorization: `Bearer ${v}` })),
        fc.constantFrom(...tokens).map((t) => ({ authorization: `bearer  ${t}x` })),
        fc.constantFrom(...tokens).map((t) => ({ authorization: `Bearer ${t}, Bearer ${t}` })),
        fc.integer({ min: 1, max: 12_000 }).map((n) => ({ authorization: `Bearer ${'a'.repeat(n)}` })),
        printable(300).map((v) => ({ cookie: `token=${v}; orbit_refresh=${v}` })),
        fc.constant({ authorization: 'Basic YWRtaW46YWRtaW4=' }),
      ),
    },
  );
}

/** Other headers a client may send: forwarding headers, request ids, huge and odd ones. */
const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.constantFrom('x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'origin', 'accept', 'accept-encoding', 'range', 'if-none-match', 'x-http-method-override', 'transfer-encoding', 'expect', 'traceparent', 'x-custom'),
      fc.oneof(printable(100), fc.integer({ min: 1, max: 12_000 }).map((n) => 'x'.repeat(n)), fc.constantFrom('1.2.3.4, 10.0.0.1', '::1', 'https', 'gzip', 'bytes=0-1', '100-continue', 'identity')),
      { maxKeys: 4 },
    ),
  },
);

const contentTypes = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/octet-stream',
      'application/xml',
      'application/json, text/plain',
      'application/vnd.api+json',
      '*/*',
      '',
    ),
  },
  { weight: 1, arbitrary: printable(60) },
);

/** Bodies: fitting JSON, other JSON, text that is not JSON, raw bytes, deep nesting, over the limit. */
function bodyOf(op: Operation, known: Known): fc.Arbitrary<string | Buffer | undefined> {
  const json = fc.oneof(
    { weight: 4, arbitrary: op.examples.length ? fc.constantFrom(...op.examples) : valueOf(op.body, known) },
    { weight: 6, arbitrary: valueOf(op.body, known) },
  ).map((v) => JSON.stringify(v) ?? 'null');
  return fc.oneof(
    { weight: 10, arbitrary: json },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        json.map((s) => s.slice(0, Math.max(0, s.length - 1))),
        fc.integer({ min: 1, max: 50_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
        fc.integer({ min: 1, max: 5_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
        fc.integer({ min: 60 * 1024, max: 80 * 1024 }).map((n) => JSON.stringify({ padding: 'x'.repeat(n) })),
        fc.constantFrom('{"a":1,"a":2}', '\uFEFF{}', '{"__proto__":{"roles":["admin"]}}', 'true', '"x"', '1e999', '[]', '{}', ' ', 'a=1&b=2', '--xyz\r\n\r\n--xyz--'),
      ),
    },
  );
}

function urlOf(op: Operation, known: Known): fc.Arbitrary<string> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const pathValue = (p: Operation['params'][number]) =>
    fc.oneof(
      { weight: 8, arbitrary: valueOf(p.schema, known).map((v) => encodeURIComponent((typeof v === 'string' ? v : JSON.stringify(v) ?? '').toWellFormed())) },
      { weight: 1, arbitrary: nasty },
    );
  const query = fc.tuple(
    fc.record(Object.fromEntries(queryParams.map((p) => [p.name, valueOf(p.schema, known)])), { requiredKeys: [] }),
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...queryParams.map((p) => p.name), 'token', '__proto__'), anyString), anyString), { maxLength: 3 }),
    fc.oneof({ weight: 9, arbitrary: fc.constant('') }, { weight: 1, arbitrary: nasty.map((n) => `&${n}`) }),
  ).map(([declared, extra, raw]) => {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(declared)) search.append(k, typeof v === 'string' ? v : JSON.stringify(v) ?? '');
    for (const [k, v] of extra) search.append(k, v);
    const text = search.toString() + raw;
    return text ? `?${text}` : '';
  });
  return fc.tuple(fc.tuple(...pathParams.map(pathValue)), query).map(([values, q]) => {
    let path = op.path;
    pathParams.forEach((p, i) => (path = path.replace(`{${p.name}}`, String(values[i]))));
    return path + q;
  });
}

/** A request to `op`: its method (or sometimes another), a URL, credentials, a body of some content type, headers. */
export function requestFor(op: Operation, known: Known): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.oneof({ weight: 12, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD') }),
      url: urlOf(op, known),
      auth: authorization(known),
      extra: extraHeaders,
      body: bodyOf(op, known),
      contentType: contentTypes,
    })
    .map(({ method, url, auth, extra, body, contentType }) => ({
      method,
      url,
      headers: { ...extra, ...auth, ...(body !== undefined && contentType ? { 'content-type': contentType } : {}) },
      ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { payload: body } : {}),
    }));
}

/** Requests for no operation in particular: any method, any path (some near real ones), any headers. */
export function arbitraryRequest(ops: readonly Operation[], known: Known): fc.Arbitrary<FuzzRequest> {
  const path = fc.oneof(
    fc.constantFrom(...ops.map((o) => o.path)).chain((p) => fc.tuple(fc.constant(p), anyString).map(([base, s]) => base.replace(/\{[^}]+\}/g, encodeURIComponent(s.toWellFormed())))),
    fc.constantFrom(...ops.map((o) => o.path)).map((p) => p.replace(/\{[^}]+\}/g, '')),
    fc.webPath().map((p) => p || '/'),
    fc.array(nasty, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
    fc.constantFrom('/', '//', '/api/v1/', '/api/v1/rooms/../users/me', '/API/V1/USERS/ME', '/api/v1/users/me/', '/api/v1/users/me?', '/%2e%2e/%2e%2e/etc/passwd', '/docs/../openapi.json'),
  );
  return fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND'),
      path,
      query: fc.oneof(fc.constant(''), fc.webQueryParameters().map((q) => `?${q}`), anyString.map((s) => `?${encodeURIComponent(s.toWellFormed())}`)),
      auth: authorization(known),
      extra: extraHeaders,
      body: fc.option(fc.oneof(anyJson.map((v) => JSON.stringify(v) ?? ''), fc.string({ unit: 'binary', maxLength: 100 })), { nil: undefined }),
      contentType: contentTypes,
    })
    .map(({ method, path, query, auth, extra, body, contentType }) => ({
      method,
      url: path + query,
      headers: { ...extra, ...auth, ...(body !== undefined ? { 'content-type': contentType } : {}) },
      ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { payload: body } : {}),
    }));
}
