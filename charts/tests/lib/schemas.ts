// JSON schemas for kubeconform, made without network access from what .ci/run caches: the
// Kubernetes OpenAPI v2 document of the release we build kube-apiserver from, and CRD files. They
// are "strict" like kubeconform's -strict expects: every object with declared properties refuses
// other properties, so a misspelt field fails validation instead of being dropped by the server.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Schema = Record<string, unknown>;

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
/** The API server takes quantities ("512Mi", "0.5", 2) as strings or numbers. */
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** kubeconform -schema-location template for directories written by SchemaStore. */
export const SCHEMA_LOCATION_TEMPLATE = '{{ .Group }}/{{ .ResourceAPIVersion }}/{{ .ResourceKind }}.json';

export class SchemaStore {
  private readonly definitions: Record<string, Schema>;
  private readonly byGvk = new Map<string, string>();
  private readonly crds = new Map<string, Schema>();

  constructor(swaggerPath: string, crdDirs: string[] = []) {
    const swagger = JSON.parse(readFileSync(swaggerPath, 'utf8')) as { definitions: Record<string, Schema> };
    this.definitions = swagger.definitions;
    for (const [name, def] of Object.entries(this.definitions)) {
      for (const gvk of (def['x-kubernetes-group-version-kind'] as Gvk[] | undefined) ?? []) {
        // A definition can be listed for several GVKs (e.g. DeleteOptions); the first wins per GVK.
        if (!this.byGvk.has(key(gvk))) this.byGvk.set(key(gvk), name);
      }
    }
    for (const dir of crdDirs) {
      for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
        for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
          const crd = doc.toJS() as CustomResourceDefinition | null;
          if (crd?.kind !== 'CustomResourceDefinition') continue;
          for (const version of crd.spec.versions) {
            this.crds.set(key({ group: crd.spec.group, version: version.name, kind: crd.spec.names.kind }), version.schema.openAPIV3Schema);
          }
        }
      }
    }
  }

  has(gvk: Gvk): boolean {
    return this.byGvk.has(key(gvk)) || this.crds.has(key(gvk));
  }

  /**
   * Writes the schema of each GVK under dir (laid out for SCHEMA_LOCATION_TEMPLATE). A GVK without
   * a schema gets no file, so kubeconform reports it instead of skipping it.
   */
  writeSchemas(dir: string, gvks: Iterable<Gvk>): void {
    for (const gvk of gvks) {
      const schema = this.schemaOf(gvk);
      if (!schema) continue;
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      const [first] = apiVersion.split('/');
      const target = join(dir, first!, gvk.version);
      mkdirSync(target, { recursive: true });
      writeFileSync(join(target, `${gvk.kind.toLowerCase()}.json`), JSON.stringify(schema));
    }
  }

  schemaOf(gvk: Gvk): Schema | undefined {
    const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
    const name = this.byGvk.get(key(gvk));
    if (name) {
      // The definition, with every definition it reaches (and only those) alongside it.
      const needed = new Map<string, Schema>();
      const visit = (n: string) => {
        if (needed.has(n)) return;
        const def = this.definitions[n];
        if (!def) throw new Error(`the OpenAPI document has no definition ${n}`);
        needed.set(n, {});
        needed.set(n, n === QUANTITY ? { description: def.description, anyOf: [{ type: 'string' }, { type: 'number' }] } : strictV2(def, visit));
      };
      visit(name);
      const root = needed.get(name)!;
      return {
        $schema: 'http://json-schema.org/draft-07/schema#',
        ...pinGvk(root, apiVersion, gvk.kind),
        definitions: Object.fromEntries(needed),
      };
    }
    const crd = this.crds.get(key(gvk));
    if (crd) {
      const root = strictV3(crd);
      // CRD schemas leave metadata open; use the real ObjectMeta.
      const properties = { ...(root.properties as Record<string, Schema>), metadata: { $ref: `#/definitions/${OBJECT_META}` } };
      const definitions: Record<string, Schema> = {};
      const visit = (n: string) => {
        if (definitions[n]) return;
        definitions[n] = {};
        definitions[n] = strictV2(this.definitions[n]!, visit);
      };
      visit(OBJECT_META);
      return {
        $schema: 'http://json-schema.org/draft-07/schema#',
        ...pinGvk({ ...root, properties }, apiVersion, gvk.kind),
        definitions,
      };
    }
    return undefined;
  }
}

interface CustomResourceDefinition {
  kind: string;
  spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
}

function key(gvk: Gvk): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}`;
}

function pinGvk(root: Schema, apiVersion: string, kind: string): Schema {
  const properties = { ...(root.properties as Record<string, Schema>) };
  properties.apiVersion = { type: 'string', enum: [apiVersion] };
  properties.kind = { type: 'string', enum: [kind] };
  const required = new Set([...((root.required as string[] | undefined) ?? []), 'apiVersion', 'kind']);
  return { ...root, properties, required: [...required] };
}

/** An OpenAPI v2 (Swagger) schema of the Kubernetes document as strict JSON schema. */
function strictV2(schema: Schema, visit: (definition: string) => void): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k.startsWith('x-kubernetes-')) continue;
    if (k === '$ref' && typeof v === 'string') {
      visit(v.replace('#/definitions/', ''));
      out[k] = v;
    } else if (k === 'properties') {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([p, s]) => [p, strictV2(s, visit)]));
    } else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) {
      out[k] = strictV2(v as Schema, visit);
    } else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf') {
      out[k] = (v as Schema[]).map((s) => strictV2(s, visit));
    } else {
      out[k] = v;
    }
  }
  return finish(out);
}

/** A CRD's OpenAPI v3 structural schema as strict JSON schema. */
function strictV3(schema: Schema): Schema {
  const out: Schema = {};
  const preserveUnknown = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [k, v] of Object.entries(schema)) {
    if (k.startsWith('x-kubernetes-') || k === 'nullable') continue;
    if (k === 'properties') {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([p, s]) => [p, strictV3(s)]));
    } else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) {
      out[k] = strictV3(v as Schema);
    } else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf') {
      out[k] = (v as Schema[]).map(strictV3);
    } else if (k === 'not') {
      out[k] = strictV3(v as Schema);
    } else {
      out[k] = v;
    }
  }
  if (schema['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'string' }, { type: 'integer' }];
  }
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (preserveUnknown) return out;
  return finish(out);
}

function finish(out: Schema): Schema {
  if (out.format === 'int-or-string') {
    delete out.format;
    delete out.type;
    out.anyOf = [{ type: 'string' }, { type: 'integer' }];
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}
