// The Helm chart, rendered by the real helm for several values sets: helm lint --strict, kubeconform
// -strict against schemas of the Kubernetes release we test against (made offline from its
// OpenAPI document, plus the Gateway API and Prometheus Operator CRDs), and assertions on the
// rendered objects.
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { spawnService } from '@chatorbit/shared/testing';
import { configDoc } from './lib/config-doc.ts';
import { monitoringCopies, monitoringSources } from './lib/monitoring-files.ts';
import {
  allContainers,
  find,
  helmTemplate,
  helmTemplateRaw,
  isWorkload,
  matches,
  VALUES_SETS,
  type Container,
  type K8sObject,
  type LabelSelector,
  type Workload,
} from './lib/helm.ts';
import { SCHEMA_LOCATION_TEMPLATE, SchemaStore, type Gvk } from './lib/schemas.ts';
import { CHART, run, runOk, tools } from './lib/tools.ts';

const SERVICES = ['gateway', 'auth', 'user', 'chat'] as const;
const COMPONENT = 'app.kubernetes.io/component';

/**
 * Objects each values set refers to but does not create, on purpose: TLS certificates,
 * registry credentials and the Secrets it names in existingSecret/passwordSecret.
 */
const EXTERNAL_REFERENCES: Record<string, string[]> = {
  defaults: [],
  production: ['Secret/chat-example-com-tls'],
  external: [],
  'external-secrets': [
    'Secret/chatorbit-redis-url', 'Secret/chatorbit-mongo-url', 'Secret/chatorbit-jwt-keys', 'Secret/chatorbit-admin',
    'ServiceAccount/chatorbit-runtime',
  ],
  everything: ['Secret/registry-credentials', 'Secret/chat-tls', 'Secret/otlp-credentials'],
  'k8s/dev': [],
  'k8s/dev+monitoring': [],
};

let schemaDir: string;
let store: SchemaStore;

beforeAll(() => {
  schemaDir = mkdtempSync(join(tmpdir(), 'chatorbit-schemas-'));
  store = new SchemaStore(join(tools.kubernetesDir(), 'swagger.json'), [tools.gatewayApiCrds(), tools.prometheusOperatorCrds()]);
});

afterAll(() => {
  if (schemaDir) rmSync(schemaDir, { recursive: true, force: true });
});

function gvkOf(o: K8sObject): Gvk {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  return { group: group!, version: version!, kind: o.kind };
}

async function kubeconform(yaml: string, objects: K8sObject[]) {
  store.writeSchemas(schemaDir, objects.map(gvkOf));
  const result = await run(tools.kubeconform(), [
    '-strict', '-summary', '-output', 'json',
    '-schema-location', join(schemaDir, SCHEMA_LOCATION_TEMPLATE),
    '-',
  ], { input: yaml });
  const report = JSON.parse(result.stdout) as {
    resources: { kind: string; name: string; status: string; msg: string }[];
    summary: { valid: number; invalid: number; errors: number; skipped: number };
  };
  return { code: result.code, report };
}

describe.each(Object.entries(VALUES_SETS))('values set "%s"', (setName, valuesFiles) => {
  let yaml: string;
  let objects: K8sObject[];
  let workloads: Workload[];
  // Object names: the dev values set fullnameOverride.
  const prefix = setName.startsWith('k8s/dev') ? 'chatorbit' : 'orbit-chatorbit';

  beforeAll(async () => {
    ({ yaml, objects } = await helmTemplate(valuesFiles));
    workloads = objects.filter(isWorkload);
  });

  it('passes helm lint --strict', async () => {
    const out = await runOk(tools.helm(), ['lint', '--strict', CHART, ...valuesFiles.flatMap((f) => ['--values', f])]);
    expect(out).toContain('0 chart(s) failed');
  });

  it('validates with kubeconform -strict: every object, no schema missing', async () => {
    const { code, report } = await kubeconform(yaml, objects);
    const problems = report.resources.filter((r) => r.status !== 'statusValid').map((r) => `${r.kind}/${r.name}: ${r.msg}`);
    expect(problems).toEqual([]);
    expect(code).toBe(0);
    expect(report.summary).toEqual({ valid: objects.length, invalid: 0, errors: 0, skipped: 0 });
  });

  it('runs every container non-root, read-only, without privilege escalation or capabilities, under seccomp RuntimeDefault', () => {
    for (const w of workloads) {
      const pod = w.spec.template.spec;
      for (const c of allContainers(pod)) {
        const where = `${w.kind}/${w.metadata.name} container ${c.name}`;
        const sc = c.securityContext ?? {};
        expect(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, where).toBe(true);
        expect(sc.readOnlyRootFilesystem, where).toBe(true);
        expect(sc.allowPrivilegeEscalation, where).toBe(false);
        expect(sc.privileged ?? false, where).toBe(false);
        expect(sc.capabilities?.drop, where).toContain('ALL');
        expect(sc.capabilities?.add ?? [], where).toEqual([]);
        expect((sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type, where).toBe('RuntimeDefault');
      }
      expect(pod.automountServiceAccountToken, `${w.metadata.name} mounts no API token`).toBe(false);
    }
  });

  it('probes every container: the services on /healthz (startup, liveness) and /readyz (readiness)', () => {
    expect(workloads.length).toBeGreaterThanOrEqual(4);
    for (const w of workloads) {
      for (const c of w.spec.template.spec.containers) {
        const where = `${w.metadata.name}/${c.name}`;
        if (c.name === 'replset') continue; // the MongoDB reconciler loop has nothing to probe but itself
        expect(c.livenessProbe, where).toBeDefined();
        expect(c.readinessProbe, where).toBeDefined();
        expect(c.startupProbe, where).toBeDefined();
        expect(c.resources?.requests, where).toBeDefined();
        expect(c.resources?.limits?.memory, where).toBeDefined();
      }
    }
    for (const service of SERVICES) {
      const c = find<Workload>(objects, 'Deployment', `${prefix}-${service}`).spec.template.spec.containers[0]!;
      expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.ports?.find((p) => p.name === 'http')).toBeDefined();
    }
  });

  it('gives every workload a selector that matches its pod labels, and every selector something to select', () => {
    for (const w of workloads) {
      expect(matches(w.spec.selector, w.spec.template.metadata.labels), w.metadata.name).toBe(true);
      // No two workloads select each other's pods.
      for (const other of workloads.filter((o) => o !== w)) {
        expect(matches(w.spec.selector, other.spec.template.metadata.labels), `${w.metadata.name} selects ${other.metadata.name}`).toBe(false);
      }
      for (const t of w.spec.template.spec.topologySpreadConstraints ?? []) {
        expect(matches(t.labelSelector, w.spec.template.metadata.labels), `${w.metadata.name} spreads its own pods`).toBe(true);
      }
    }
    const selects = (selector: LabelSelector | Record<string, string>) => {
      const s = 'matchLabels' in selector || 'matchExpressions' in selector ? (selector as LabelSelector) : { matchLabels: selector as Record<string, string> };
      return workloads.filter((w) => matches(s, w.spec.template.metadata.labels));
    };
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const spec = svc.spec as { selector?: Record<string, string>; ports: { name: string; targetPort: string | number }[] };
      if (svc.metadata.name === `${prefix}-blocked`) {
        // The backend of ingress.blockedPaths: it must select nothing, so that nothing answers there.
        expect(spec.selector, svc.metadata.name).toBeUndefined();
        continue;
      }
      if (!spec.selector) throw new Error(`Service ${svc.metadata.name} has no selector`);
      const targets = selects(spec.selector);
      expect(targets, `Service ${svc.metadata.name} selects exactly one workload`).toHaveLength(1);
      const ports = targets[0]!.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
      for (const p of spec.ports) {
        expect(ports.some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort), `${svc.metadata.name} port ${p.name}`).toBe(true);
      }
    }
    for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
      expect(selects((pdb.spec as { selector: LabelSelector }).selector), `PDB ${pdb.metadata.name}`).toHaveLength(1);
    }
    for (const np of objects.filter((o) => o.kind === 'NetworkPolicy')) {
      expect(selects((np.spec as { podSelector: LabelSelector }).podSelector), `NetworkPolicy ${np.metadata.name}`).toHaveLength(1);
    }
    for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
      const ref = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
      const target = find<Workload>(objects, ref.kind, ref.name);
      expect(target.spec.replicas, `${ref.name} leaves replicas to the HPA`).toBeUndefined();
    }
    for (const sts of workloads.filter((w) => w.kind === 'StatefulSet')) {
      const headless = find(objects, 'Service', sts.spec.serviceName!).spec as { clusterIP: string; publishNotReadyAddresses: boolean };
      expect(headless).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    }
  });

  it('creates every Secret, ConfigMap and key it refers to (except the ones the values name as existing)', () => {
    const has = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
    const missing = new Set<string>();
    const need = (ref: string, key?: string) => {
      if (!has.has(ref)) return void missing.add(ref);
      if (key === undefined) return;
      const [kind, name] = ref.split('/') as [string, string];
      const data = find(objects, kind, name).data ?? {};
      expect(Object.keys(data), `${ref} has key ${key}`).toContain(key);
    };
    for (const w of workloads) {
      const pod = w.spec.template.spec;
      for (const c of allContainers(pod)) {
        for (const e of c.env ?? []) {
          const s = e.valueFrom?.secretKeyRef;
          if (s && !s.optional) need(`Secret/${s.name}`, s.key);
          const m = e.valueFrom?.configMapKeyRef;
          if (m && !m.optional) need(`ConfigMap/${m.name}`, m.key);
        }
        for (const f of c.envFrom ?? []) {
          if (f.configMapRef) need(`ConfigMap/${f.configMapRef.name}`);
          if (f.secretRef) need(`Secret/${f.secretRef.name}`);
        }
        const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
        const claims = new Set((w.spec.volumeClaimTemplates ?? []).map((v) => v.metadata.name));
        for (const m of c.volumeMounts ?? []) {
          expect(volumes.has(m.name) || claims.has(m.name), `${w.metadata.name}/${c.name} mounts ${m.name}`).toBe(true);
        }
      }
      for (const v of pod.volumes ?? []) {
        if (v.secret) {
          need(`Secret/${v.secret.secretName}`);
          for (const item of v.secret.items ?? []) need(`Secret/${v.secret.secretName}`, item.key);
        }
        if (v.configMap) need(`ConfigMap/${v.configMap.name}`);
      }
      for (const s of pod.imagePullSecrets ?? []) need(`Secret/${s.name}`);
      need(`ServiceAccount/${pod.serviceAccountName}`);
    }
    for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
      for (const tls of (ing.spec as { tls?: { secretName: string }[] }).tls ?? []) need(`Secret/${tls.secretName}`);
    }
    expect([...missing].sort()).toEqual([...EXTERNAL_REFERENCES[setName]!].sort());
  });

  it('gives each service only environment variables that docs/CONFIG.md lists for it', () => {
    const doc = configDoc();
    for (const service of SERVICES) {
      const deployment = find<Workload>(objects, 'Deployment', `${prefix}-${service}`);
      const container = deployment.spec.template.spec.containers[0]!;
      const configMap = find(objects, 'ConfigMap', container.envFrom![0]!.configMapRef!.name);
      const names = [...Object.keys(configMap.data ?? {}), ...(container.env ?? []).map((e) => e.name)];
      // CHART_MONGO_PASSWORD only feeds $(CHART_MONGO_PASSWORD) in MONGO_URL, CHART_POD_NAME
      // $(CHART_POD_NAME) in OTEL_RESOURCE_ATTRIBUTES. JWT_VERIFY_KEYS_DIR comes with key rotation
      // in auth (being added at the same time; not in docs/CONFIG.md yet). NODE_OPTIONS is Node's
      // own (chat.nodeOptions, the tracing module), OTEL_* OpenTelemetry's (docs/OBSERVABILITY.md):
      // not settings of the service.
      const ahead = service === 'auth' ? ['JWT_VERIFY_KEYS_DIR'] : [];
      const runtime = (n: string) => n === 'NODE_OPTIONS' || n.startsWith('OTEL_') || n === 'CHART_MONGO_PASSWORD' || n === 'CHART_POD_NAME';
      const unknown = names.filter((n) => !doc.get(service)!.has(n) && !runtime(n) && !ahead.includes(n));
      expect(unknown, service).toEqual([]);
      expect(new Set(names).size, `${service} sets each variable once`).toBe(names.length);
      for (const [k, v] of Object.entries(configMap.data ?? {})) expect(typeof v, `${service} ${k} is a string`).toBe('string');
      if (service !== 'gateway') {
        expect(names).toContain('MONGO_URL');
        expect(names.some((n) => n === 'REDIS_URL' || n === 'REDIS_SENTINELS'), `${service} has Redis`).toBe(true);
        expect(names.includes('REDIS_URL') && names.includes('REDIS_SENTINELS'), `${service}: REDIS_URL and REDIS_SENTINELS are exclusive`).toBe(false);
      }
      const mongoUrl = container.env?.find((e) => e.name === 'MONGO_URL');
      if (mongoUrl?.value?.includes('$(CHART_MONGO_PASSWORD)')) {
        const index = (n: string) => container.env!.findIndex((e) => e.name === n);
        expect(index('CHART_MONGO_PASSWORD'), 'defined before MONGO_URL expands it').toBeLessThan(index('MONGO_URL'));
      }
    }
  });

  it('lets every service shut down before it is killed: grace period > preStop sleep + SHUTDOWN_TIMEOUT_MS', () => {
    for (const service of SERVICES) {
      const deployment = find<Workload>(objects, 'Deployment', `${prefix}-${service}`);
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0]!;
      const configMap = find(objects, 'ConfigMap', container.envFrom![0]!.configMapRef!.name);
      const shutdownSec = Number(configMap.data!.SHUTDOWN_TIMEOUT_MS) / 1000;
      const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(preStop, `${service} preStop sleep`).toBeGreaterThan(0);
      expect(pod.terminationGracePeriodSeconds!, service).toBeGreaterThan(preStop + shutdownSec);
    }
  });

  it('routes the WebSocket straight to chat and everything else to the gateway', () => {
    const services = new Map(objects.filter((o) => o.kind === 'Service').map((s) => [s.metadata.name, s]));
    const routes: { path: string; service: string; port: number; object: string }[] = [];
    for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
      const spec = ing.spec as { rules: { http: { paths: { path: string; backend: { service: { name: string; port: { number: number } } } }[] } }[] };
      for (const rule of spec.rules) {
        for (const p of rule.http.paths) routes.push({ path: p.path, service: p.backend.service.name, port: p.backend.service.port.number, object: ing.metadata.name });
      }
    }
    for (const r of routes) {
      const svc = services.get(r.service);
      expect(svc, `${r.object} → ${r.service}`).toBeDefined();
      expect((svc!.spec as { ports: { port: number }[] }).ports.map((p) => p.port)).toContain(r.port);
    }
    if (routes.length > 0) {
      // Both sockets straight to chat (it serves /ws and the original frontend's /ws/chat itself),
      // each on exactly that path, everything else to the gateway.
      // /metrics and /readyz (ingress.blockedPaths) to the Service without endpoints, never to the gateway.
      expect([...new Set(routes.map((r) => `${r.path} ${r.service}`))].sort()).toEqual([
        `/ ${prefix}-gateway`, `/metrics ${prefix}-blocked`, `/readyz ${prefix}-blocked`, `/ws ${prefix}-chat`, `/ws/chat ${prefix}-chat`,
      ]);
      // Chat gets the path the client asked for: no Ingress rewrites anything.
      for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
        expect(Object.keys(ing.metadata.annotations ?? {}).filter((k) => k.includes('rewrite')), ing.metadata.name).toEqual([]);
      }
    }
    for (const route of objects.filter((o) => o.kind === 'HTTPRoute')) {
      const rules = (route.spec as { rules: { matches: { path: { type: string; value: string } }[]; backendRefs?: { name: string; port: number }[]; filters?: unknown[] }[] }).rules;
      const byPath = new Map(rules.flatMap((r) => r.matches.map((m) => [m.path.value, { type: m.path.type, rule: r }] as const)));
      expect([...byPath.keys()].sort()).toEqual(['/', '/metrics', '/readyz', '/ws', '/ws/chat']);
      // httpRoute.blockedPaths: one rule without backends (and no filter), so nothing is forwarded.
      for (const path of ['/metrics', '/readyz']) {
        expect(byPath.get(path), path).toEqual({ type: 'PathPrefix', rule: { matches: [{ path: { type: 'PathPrefix', value: '/metrics' } }, { path: { type: 'PathPrefix', value: '/readyz' } }] } });
      }
      for (const path of ['/ws', '/ws/chat']) {
        expect(byPath.get(path)!.type, path).toBe('Exact');
        expect(byPath.get(path)!.rule.backendRefs!.map((b) => b.name), path).toEqual([`${prefix}-chat`]);
      }
      expect(byPath.get('/')!.rule.backendRefs!.map((b) => b.name)).toEqual([`${prefix}-gateway`]);
      // Plain matches: no URLRewrite (or any other filter) on any rule.
      for (const r of rules) expect(r.filters ?? []).toEqual([]);
      for (const r of rules) for (const b of r.backendRefs ?? []) expect(services.has(b.name)).toBe(true);
    }
  });

  it('lets only the gateway and chat be reached from outside the release, and Redis and MongoDB only from the services', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.length).toBeGreaterThan(0);
    const releasePod = { 'app.kubernetes.io/name': 'chatorbit', 'app.kubernetes.io/instance': 'orbit' };
    const stranger = { app: 'something-else' };
    // Which pods (by labels) may open a connection to the pods of a workload, by the policies.
    const admits = (target: Workload, from: Record<string, string>, fromOtherNamespace: boolean) => {
      const applying = policies.filter((p) => matches((p.spec as { podSelector: LabelSelector }).podSelector, target.spec.template.metadata.labels));
      if (applying.length === 0) return true;
      return applying.some((p) =>
        ((p.spec as { ingress?: { from?: { podSelector?: LabelSelector; namespaceSelector?: LabelSelector }[] }[] }).ingress ?? []).some((rule) =>
          rule.from === undefined ||
          rule.from.some((peer) =>
            peer.namespaceSelector ? fromOtherNamespace : !fromOtherNamespace && peer.podSelector !== undefined && matches(peer.podSelector, from),
          ),
        ),
      );
    };
    for (const w of workloads) {
      const component = w.spec.template.metadata.labels[COMPONENT]!;
      expect(policies.some((p) => matches((p.spec as { podSelector: LabelSelector }).podSelector, w.spec.template.metadata.labels)), `${component} has a policy`).toBe(true);
      const public_ = component === 'gateway' || component === 'chat';
      const hasIngressFrom = setName === 'production' || setName === 'everything';
      expect(admits(w, stranger, false), `${component} from a stranger pod`).toBe(public_ && !hasIngressFrom);
      // The services call each other (gateway → auth/user/chat, user/chat → auth) and use both stores.
      for (const service of SERVICES) {
        expect(admits(w, { ...releasePod, [COMPONENT]: service }, false), `${component} from ${service}`).toBe(true);
      }
      if (component === 'redis' || component === 'mongodb') {
        expect(admits(w, { ...releasePod, [COMPONENT]: component }, false), `${component} from its own members`).toBe(true);
        expect(admits(w, { ...releasePod, [COMPONENT]: component === 'redis' ? 'mongodb' : 'redis' }, false)).toBe(false);
        expect(admits(w, stranger, true), `${component} from another namespace`).toBe(false);
      }
    }
  });

  it('names every object with a DNS label short enough for StatefulSet pods and their revision label', () => {
    for (const o of objects) {
      expect(o.metadata.name, `${o.kind} ${o.metadata.name}`).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(o.metadata.name.length, o.metadata.name).toBeLessThanOrEqual(o.kind === 'StatefulSet' ? 52 : 63);
      // The everything set puts the dashboard ConfigMaps where Grafana runs (monitoring.dashboards.namespace).
      const dashboard = o.kind === 'ConfigMap' && o.metadata.name.startsWith(`${prefix}-dashboard-`);
      expect(o.metadata.namespace ?? 'chat', `${o.kind} ${o.metadata.name} namespace`).toBe(dashboard && setName === 'everything' ? 'monitoring' : 'chat');
    }
  });
});

describe('values.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as SchemaNode & { definitions: Record<string, SchemaNode> };
  const values = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const resolveRef = (node: SchemaNode): SchemaNode => (node.$ref ? { ...schema.definitions[node.$ref.replace('#/definitions/', '')]!, ...node, $ref: undefined } : node);

  it('describes every value in values.yaml, and every object of the schema refuses unknown keys', () => {
    const problems: string[] = [];
    const walk = (value: unknown, node: SchemaNode | undefined, path: string) => {
      if (!node) return void problems.push(`${path}: not in the schema`);
      const n = resolveRef(node);
      if (!n.description && path !== '') problems.push(`${path}: no description`);
      if (value && typeof value === 'object' && !Array.isArray(value) && n.properties) {
        if (n.additionalProperties !== false) problems.push(`${path}: additionalProperties is not false`);
        for (const [k, v] of Object.entries(value)) walk(v, n.properties[k], `${path}.${k}`);
      }
    };
    walk(values, schema, '');
    expect(problems).toEqual([]);
  });

  it('lists for <service>.config exactly the variables of docs/CONFIG.md the chart does not set, with their limits', () => {
    const doc = configDoc();
    for (const service of SERVICES) {
      const config = resolveRef(resolveRef(schema.properties![service]!).properties!.config!);
      expect(config.additionalProperties).toBe(false);
      for (const [name, prop] of Object.entries(config.properties!)) {
        const variable = doc.get(service)!.get(name);
        expect(variable, `${service}.config.${name} is a variable of ${service}`).toBeDefined();
        expect(prop.type, `${service}.config.${name} type`).toBe(variable!.type);
        expect(prop.minimum, `${service}.config.${name} minimum`).toBe(variable!.minimum);
        expect(prop.maximum, `${service}.config.${name} maximum`).toBe(variable!.maximum);
        if (variable!.enum) expect(prop.enum).toEqual(variable!.enum);
      }
    }
    // What chat can be tuned by: every chat variable except what the chart derives.
    const chatConfig = resolveRef(resolveRef(schema.properties!.chat!).properties!.config!);
    expect(Object.keys(chatConfig.properties!)).toEqual(expect.arrayContaining(['MAX_TEXT_LENGTH', 'RATE_LIMIT_MESSAGES', 'MESSAGE_RETENTION_DAYS', 'PERSIST_BATCH_SIZE']));
    expect(Object.keys(chatConfig.properties!)).not.toContain('MONGO_URL');
  });

  it.each([
    ['chat.replicas=-1', /at '\/chat\/replicas': minimum: got -1, want 0/],
    ['gateway.replica=2', /at '\/gateway': additional properties 'replica' not allowed/],
    ['chat.config.MAX_TXT=5', /at '\/chat\/config': additional properties 'MAX_TXT' not allowed/],
    ['chat.config.MAX_TEXT_LENGTH=0', /at '\/chat\/config\/MAX_TEXT_LENGTH': minimum: got 0, want 1/],
    ['chat.config.MONGO_URL=mongodb://x', /at '\/chat\/config': additional properties 'MONGO_URL' not allowed/],
    ['common.logLevel=loud', /at '\/common\/logLevel': value must be one of/],
    ['redis.replicas=0', /at '\/redis\/replicas': minimum: got 0, want 1/],
    // Removed: chat serves /ws/chat itself, the chart routes it there with no rewrite. Old values files are told.
    ['ingress.legacyWsPath.enabled=true', /at '\/ingress': additional properties 'legacyWsPath' not allowed/],
    ['externalMongodb.url=postgres://db', /at '\/externalMongodb\/url': '.*' does not match pattern/],
    ['auth.jwt.verifyKeysDirEnv=jwt-dir', /at '\/auth\/jwt\/verifyKeysDirEnv': 'jwt-dir' does not match pattern/],
    ['tracing.extraEnv[0].name=NODE_OPTIONS', /at '\/tracing\/extraEnv\/0\/name': 'NODE_OPTIONS' does not match pattern/],
    ['tracing.extraEnv[0].name=OTEL_BSP_MAX_QUEUE_SIZE', /at '\/tracing\/extraEnv\/0': 'oneOf' failed, none matched/],
    ['tracing.sampler=sometimes', /at '\/tracing\/sampler': value must be one of/],
    ['tracing.samplerRatio=2', /at '\/tracing\/samplerRatio': maximum: got 2, want 1/],
    ['tracing.otlpEndpoint=collector:4318', /at '\/tracing\/otlpEndpoint': 'collector:4318' does not match pattern/],
    ['monitoring.serviceMonitor.interval=often', /at '\/monitoring\/serviceMonitor\/interval': 'often' does not match pattern/],
    ['monitoring.dashboards.lable=x', /at '\/monitoring\/dashboards': additional properties 'lable' not allowed/],
    ['ingress.blockedPaths={metrics}', /at '\/ingress\/blockedPaths\/0': 'metrics' does not match pattern/],
  ])('refuses %s, naming the value', async (set, message) => {
    const result = await helmTemplateRaw([], { set: [set] });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toMatch(message);
  });
});

interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  minimum?: number;
  maximum?: number;
  enum?: string[];
}

describe('checks the schema cannot express', () => {
  it.each([
    [['redis.enabled=false', 'externalMongodb.url=mongodb://m'], 'redis.enabled=false needs externalRedis.url, externalRedis.existingSecret or externalRedis.sentinels'],
    [['redis.enabled=false', 'externalRedis.url=redis://r', 'externalRedis.sentinels=a:26379'], 'externalRedis: set either url/existingSecret (REDIS_URL) or sentinels (REDIS_SENTINELS), not both'],
    [['mongodb.enabled=false'], 'mongodb.enabled=false needs externalMongodb.url or externalMongodb.existingSecret'],
    [['chat.terminationGracePeriodSeconds=30'], 'chat.terminationGracePeriodSeconds (30) must be greater than chat.preStopSleepSeconds + chat.shutdownTimeoutSeconds (50)'],
    [['common.redisReplicaAcks=3'], 'common.redisReplicaAcks (3) cannot exceed the replicas of the master (redis.replicas - 1 = 2)'],
    [['httpRoute.enabled=true'], 'httpRoute.parentRefs: name at least one Gateway'],
    [['monitoring.serviceMonitor.enabled=true', 'monitoring.podMonitor.enabled=true'], 'monitoring.serviceMonitor.enabled and monitoring.podMonitor.enabled: choose one'],
    [['tracing.enabled=true'], 'tracing.enabled=true needs tracing.otlpEndpoint (OTEL_EXPORTER_OTLP_ENDPOINT), or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT in tracing.extraEnv'],
    [['tracing.enabled=true', 'tracing.otlpEndpoint=http://c:4318', 'tracing.extraEnv[0].name=OTEL_SERVICE_NAME', 'tracing.extraEnv[0].value=x'], 'tracing.extraEnv: OTEL_SERVICE_NAME is set by the chart'],
    [['tracing.enabled=true', 'tracing.otlpEndpoint=http://c:4318', 'tracing.extraEnv[0].name=OTEL_BSP_MAX_QUEUE_SIZE', 'tracing.extraEnv[0].value=1', 'tracing.extraEnv[1].name=OTEL_BSP_MAX_QUEUE_SIZE', 'tracing.extraEnv[1].value=2'], 'tracing.extraEnv: OTEL_BSP_MAX_QUEUE_SIZE is listed twice'],
  ])('refuses %j: %s', async (set, message) => {
    const result = await helmTemplateRaw([], { set });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

describe('rendering', () => {
  it('rolls exactly the pods whose settings changed (checksum/config)', async () => {
    const checksums = async (set: string[]) => {
      const { objects } = await helmTemplate([], { set });
      return Object.fromEntries(SERVICES.map((s) => [s, find<Workload>(objects, 'Deployment', `orbit-chatorbit-${s}`).spec.template.metadata.annotations!['checksum/config']]));
    };
    const before = await checksums([]);
    const after = await checksums(['chat.config.MAX_TEXT_LENGTH=700']);
    expect(after.chat).not.toBe(before.chat);
    expect({ ...after, chat: undefined }).toEqual({ ...before, chat: undefined });
    const again = await checksums([]);
    expect(again).toEqual(before);
  });

  it('rolls auth when the admin or key settings change, not when nothing did (checksum/secrets)', async () => {
    const checksum = async (set: string[]) => {
      const { objects } = await helmTemplate([], { set });
      return find<Workload>(objects, 'Deployment', 'orbit-chatorbit-auth').spec.template.metadata.annotations!['checksum/secrets'];
    };
    const base = await checksum([]);
    // Generated secrets are random in every `helm template`; the checksum must not follow them.
    expect(await checksum([])).toBe(base);
    expect(await checksum(['auth.jwt.rotation.generation=2'])).not.toBe(base);
    expect(await checksum(['auth.admin.username=root'])).not.toBe(base);
  });

  it('generates an Ed25519 signing key (PKCS#8 PEM) as signing.pem, mounted where JWT_PRIVATE_KEY_FILE points', async () => {
    const { objects } = await helmTemplate([]);
    const secret = find(objects, 'Secret', 'orbit-chatorbit-jwt');
    const pem = Buffer.from(secret.data!['signing.pem']!, 'base64').toString();
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(pem).asymmetricKeyType).toBe('ed25519');
    const auth = find<Workload>(objects, 'Deployment', 'orbit-chatorbit-auth');
    const container = auth.spec.template.spec.containers[0]!;
    const mount = container.volumeMounts!.find((m) => m.name === 'jwt')!;
    expect(find(objects, 'ConfigMap', 'orbit-chatorbit-auth').data!.JWT_PRIVATE_KEY_FILE).toBe(`${mount.mountPath}/signing.pem`);
    // Every *.pem of the Secret is published and accepted, signing.pem included.
    expect(find(objects, 'ConfigMap', 'orbit-chatorbit-auth').data!.JWT_VERIFY_KEYS_DIR).toBe(mount.mountPath);
    expect(Object.keys(secret.data!)).toEqual(['signing.pem']);
    const withNext = find((await helmTemplate([], { set: ['auth.jwt.rotation.nextKey=true'] })).objects, 'Secret', 'orbit-chatorbit-jwt');
    expect(Object.keys(withNext.data!).sort()).toEqual(['next.pem', 'signing.pem']);
    expect(createPrivateKey(Buffer.from(withNext.data!['next.pem']!, 'base64').toString()).asymmetricKeyType).toBe('ed25519');
    expect(auth.spec.template.spec.volumes!.find((v) => v.name === 'jwt')!.secret!.secretName).toBe('orbit-chatorbit-jwt');
  });

  it('points the services at every Redis member by its stable name, and the members at each other', async () => {
    const { objects } = await helmTemplate([], { set: ['redis.replicas=5'] });
    const sts = find<Workload>(objects, 'StatefulSet', 'orbit-chatorbit-redis');
    expect(sts.spec.replicas).toBe(5);
    const env = (c: Container, name: string) => c.env!.find((e) => e.name === name)!.value;
    const hosts = Array.from({ length: 5 }, (_, i) => `orbit-chatorbit-redis-${i}.orbit-chatorbit-redis-headless.chat.svc.cluster.local`);
    for (const c of sts.spec.template.spec.containers) {
      expect(env(c, 'MEMBERS')).toBe(hosts.map((h) => `${h}:6379:26379`).join(' '));
      expect(env(c, 'SELF_HOST')).toBe('$(POD_NAME).orbit-chatorbit-redis-headless.chat.svc.cluster.local');
    }
    expect(env(sts.spec.template.spec.containers[1]!, 'QUORUM')).toBe('3');
    for (const service of ['auth', 'user', 'chat']) {
      const data = find(objects, 'ConfigMap', `orbit-chatorbit-${service}`).data!;
      expect(data.REDIS_SENTINELS).toBe(hosts.map((h) => `${h}:26379`).join(','));
      expect(data.REDIS_MASTER_NAME).toBe('mymaster');
    }
    // The scripts the pods run are the files the bootstrap test runs.
    const scripts = find(objects, 'ConfigMap', 'orbit-chatorbit-redis-scripts').data!;
    for (const file of ['common.sh', 'start-redis.sh', 'start-sentinel.sh', 'probe.sh', 'prestop.sh']) {
      expect(scripts[file]).toBe(readFileSync(join(CHART, 'files/redis', file), 'utf8'));
    }
  });

  it('builds MONGO_URL from the replica set members and the generated password', async () => {
    const { objects } = await helmTemplate([]);
    const chat = find<Workload>(objects, 'Deployment', 'orbit-chatorbit-chat').spec.template.spec.containers[0]!;
    const url = chat.env!.find((e) => e.name === 'MONGO_URL')!.value!;
    const hosts = [0, 1, 2].map((i) => `orbit-chatorbit-mongodb-${i}.orbit-chatorbit-mongodb-headless.chat.svc.cluster.local:27017`);
    expect(url).toBe(`mongodb://chatorbit:$(CHART_MONGO_PASSWORD)@${hosts.join(',')}/?replicaSet=rs0&authSource=admin`);
    const mongo = find<Workload>(objects, 'StatefulSet', 'orbit-chatorbit-mongodb').spec.template.spec;
    const replset = mongo.containers.find((c) => c.name === 'replset')!;
    expect(replset.env!.find((e) => e.name === 'MEMBERS')!.value).toBe(hosts.join(' '));
    const keyfile = Buffer.from(find(objects, 'Secret', 'orbit-chatorbit-mongodb').data!.keyfile!, 'base64').toString();
    expect(keyfile).toMatch(/^[A-Za-z0-9]{6,1024}$/);
  });

  it('drains chat: a long grace period, a preStop sleep, and SHUTDOWN_TIMEOUT_MS within them', async () => {
    const { objects } = await helmTemplate([]);
    const pod = find<Workload>(objects, 'Deployment', 'orbit-chatorbit-chat').spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBe(60);
    expect(pod.containers[0]!.lifecycle!.preStop!.sleep!.seconds).toBe(10);
    expect(find(objects, 'ConfigMap', 'orbit-chatorbit-chat').data!.SHUTDOWN_TIMEOUT_MS).toBe('40000');
  });

  it('routes /ws/chat straight to chat, unchanged, in the WebSocket Ingress with /ws (same timeouts)', async () => {
    const { objects } = await helmTemplate([], { set: ['ingress.enabled=true', 'ingress.hosts={a.example.com,b.example.com}'] });
    const ingresses = objects.filter((o) => o.kind === 'Ingress');
    expect(ingresses.map((i) => i.metadata.name).sort()).toEqual(['orbit-chatorbit', 'orbit-chatorbit-ws']);
    const paths = ingresses.flatMap((ing) =>
      (ing.spec as { rules: { host?: string; http: { paths: { path: string; pathType: string; backend: { service: { name: string; port: { number: number } } } }[] } }[] }).rules.flatMap((r) =>
        r.http.paths.map((p) => ({ ingress: ing.metadata.name, host: r.host, path: p.path, pathType: p.pathType, service: p.backend.service.name, port: p.backend.service.port.number, annotations: ing.metadata.annotations ?? {} })),
      ),
    );
    const chat = paths.filter((p) => p.path === '/ws/chat');
    expect(chat.map((p) => p.host).sort()).toEqual(['a.example.com', 'b.example.com']);
    for (const p of chat) {
      expect(p).toMatchObject({ ingress: 'orbit-chatorbit-ws', pathType: 'Exact', service: 'orbit-chatorbit-chat', port: 8083 });
      // The same object as /ws, so the same long timeouts.
      expect(p.annotations).toEqual({ 'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600', 'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600' });
    }
    expect(paths.filter((p) => p.path === '/ws').map((p) => [p.ingress, p.service])).toEqual([['orbit-chatorbit-ws', 'orbit-chatorbit-chat'], ['orbit-chatorbit-ws', 'orbit-chatorbit-chat']]);
    // No rewrite anywhere in the release: chat serves /ws/chat itself.
    for (const o of objects) expect(Object.keys(o.metadata.annotations ?? {}).filter((k) => k.includes('rewrite')), `${o.kind}/${o.metadata.name}`).toEqual([]);
    const { objects: routed } = await helmTemplate([], { set: ['httpRoute.enabled=true', 'httpRoute.parentRefs[0].name=public', 'httpRoute.websocketTimeouts.request=0s'] });
    const rules = (find(routed, 'HTTPRoute', 'orbit-chatorbit').spec as { rules: { matches: unknown[]; filters?: unknown[]; backendRefs: unknown[]; timeouts?: unknown }[] }).rules;
    expect(rules[0]).toEqual({
      matches: [{ path: { type: 'Exact', value: '/ws' } }, { path: { type: 'Exact', value: '/ws/chat' } }],
      backendRefs: [{ name: 'orbit-chatorbit-chat', port: 8083 }],
      timeouts: { request: '0s' },
    });
  });

  it('runs chat with NODE_OPTIONS=--max-semi-space-size=16 by default (chat.nodeOptions), the other services without', async () => {
    const nodeOptions = async (set: string[]) => {
      const { objects } = await helmTemplate([], { set });
      return Object.fromEntries(SERVICES.map((s) => {
        const container = find<Workload>(objects, 'Deployment', `orbit-chatorbit-${s}`).spec.template.spec.containers[0]!;
        const configMap = find(objects, 'ConfigMap', `orbit-chatorbit-${s}`).data ?? {};
        return [s, container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? configMap.NODE_OPTIONS];
      }));
    };
    expect(await nodeOptions([])).toEqual({ gateway: undefined, auth: undefined, user: undefined, chat: '--max-semi-space-size=16' });
    expect((await nodeOptions(['chat.nodeOptions=--max-semi-space-size=8 --max-old-space-size=768'])).chat).toBe('--max-semi-space-size=8 --max-old-space-size=768');
    // Empty: not set at all, so Node's defaults (or the environment's) apply.
    expect(await nodeOptions(['chat.nodeOptions='])).toEqual({ gateway: undefined, auth: undefined, user: undefined, chat: undefined });
  });

  it('writes numbers as plain integers in the environment (no 1e+06)', async () => {
    const { objects } = await helmTemplate([join(CHART, 'ci/everything-values.yaml')]);
    const data = find(objects, 'ConfigMap', 'orbit-chatorbit-chat').data!;
    expect(data.MAX_BUFFERED_BYTES).toBe('2097152');
    expect(data.MESSAGE_RETENTION_DAYS).toBe('0.5');
    expect(data.MAX_TEXT_LENGTH).toBe('1000');
  });
});

describe('docker-compose.yaml', () => {
  it('gives each service the environment variables the chart gives it (names), and the chart\'s Redis scripts', async () => {
    const compose = parseYaml(readFileSync(join(CHART, '../../docker-compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string>; command?: string[]; volumes?: string[] }>;
    };
    const { objects } = await helmTemplate([]);
    for (const service of SERVICES) {
      const container = find<Workload>(objects, 'Deployment', `orbit-chatorbit-${service}`).spec.template.spec.containers[0]!;
      const chartNames = [
        ...Object.keys(find(objects, 'ConfigMap', `orbit-chatorbit-${service}`).data ?? {}),
        ...(container.env ?? []).map((e) => e.name).filter((n) => n !== 'CHART_MONGO_PASSWORD'),
      ].sort();
      expect(Object.keys(compose.services[service]!.environment ?? {}).sort(), service).toEqual(chartNames);
    }
    // Same values where they are not about the place (host names, ports, passwords): chat's Node flags.
    const values = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { chat: { nodeOptions: string } };
    const chat = find<Workload>(objects, 'Deployment', 'orbit-chatorbit-chat').spec.template.spec.containers[0]!;
    expect(compose.services.chat!.environment!.NODE_OPTIONS).toBe(values.chat.nodeOptions);
    expect(chat.env!.find((e) => e.name === 'NODE_OPTIONS')!.value).toBe(values.chat.nodeOptions);
    expect(compose.services.redis!.command).toEqual(['sh', '/scripts/start-redis.sh']);
    expect(compose.services.sentinel!.command).toEqual(['sh', '/scripts/start-sentinel.sh']);
    expect(compose.services.redis!.volumes).toContain('./charts/chatorbit/files/redis:/scripts:ro');
  });
});

describe('monitoring hooks (monitoring.*) and tracing', () => {
  const read = (path: string) => readFileSync(join(CHART, '../..', path), 'utf8');
  const ALL_ON = ['monitoring.serviceMonitor.enabled=true', 'monitoring.prometheusRule.enabled=true', 'monitoring.dashboards.enabled=true'];
  const kinds = (objects: K8sObject[]) => new Set(objects.map((o) => o.kind));

  it('keeps the chart\'s copies of monitoring/ current (pnpm dashboards / pnpm chart:monitoring writes them)', () => {
    const sources = monitoringSources();
    expect([...sources.keys()]).toContain('alerts.rules.yaml');
    expect([...sources.keys()].filter((f) => f.startsWith('dashboards/')).length).toBeGreaterThanOrEqual(5);
    const copies = monitoringCopies();
    expect([...copies.keys()].sort(), 'the same files').toEqual([...sources.keys()].sort());
    for (const [file, content] of sources) expect(copies.get(file), `files/monitoring/${file} is stale: run pnpm chart:monitoring`).toBe(content);
  });

  it('creates none of it by default (no CRD needed), and all of it when asked', async () => {
    const { objects } = await helmTemplate([]);
    for (const kind of ['ServiceMonitor', 'PodMonitor', 'PrometheusRule']) expect(kinds(objects)).not.toContain(kind);
    expect(objects.filter((o) => o.metadata.labels?.grafana_dashboard !== undefined)).toEqual([]);
    const on = await helmTemplate([], { set: ALL_ON });
    expect([...kinds(on.objects)]).toEqual(expect.arrayContaining(['ServiceMonitor', 'PrometheusRule']));
    expect(on.objects.filter((o) => o.metadata.labels?.grafana_dashboard === '1')).toHaveLength(5);
  });

  it('PrometheusRule: the groups of monitoring/alerts.rules.yaml, unchanged by default', async () => {
    const source = parseYaml(read('monitoring/alerts.rules.yaml')) as { groups: unknown[] };
    const { objects } = await helmTemplate([], { set: ['monitoring.prometheusRule.enabled=true'] });
    const rule = find(objects, 'PrometheusRule', 'orbit-chatorbit');
    expect(rule.spec).toEqual({ groups: source.groups });
  });

  it('PrometheusRule: ruleLabels on every alert (its own labels win), runbook_url under runbookBaseUrl, nothing else changed', async () => {
    const source = parseYaml(read('monitoring/alerts.rules.yaml')) as { groups: { name: string; rules: AlertRule[] }[] };
    const { objects } = await helmTemplate([join(CHART, 'ci/everything-values.yaml')], { set: ['monitoring.prometheusRule.ruleLabels.severity=page'] });
    const rule = find(objects, 'PrometheusRule', 'orbit-chatorbit');
    expect(rule.metadata.labels?.release).toBe('kube-prometheus-stack');
    const groups = (rule.spec as { groups: { name: string; rules: AlertRule[] }[] }).groups;
    expect(groups.map((g) => g.name)).toEqual(source.groups.map((g) => g.name));
    const rendered = groups.flatMap((g) => g.rules);
    const original = source.groups.flatMap((g) => g.rules);
    expect(rendered).toHaveLength(original.length);
    rendered.forEach((r, i) => {
      const o = original[i]!;
      expect(r.labels, r.alert).toEqual({ ...o.labels, team: 'chat' });
      expect(o.annotations.runbook_url).toBe(`docs/RUNBOOKS.md#${o.alert.toLowerCase()}`);
      expect(r.annotations.runbook_url).toBe(`https://github.com/chatorbit/chatorbit/blob/main/docs/RUNBOOKS.md#${o.alert.toLowerCase()}`);
      expect({ ...r, labels: undefined, annotations: { ...r.annotations, runbook_url: undefined } }).toEqual({ ...o, labels: undefined, annotations: { ...o.annotations, runbook_url: undefined } });
    });
  });

  it('dashboards: one ConfigMap per JSON file, holding exactly that file, with the sidecar label', async () => {
    const sources = [...monitoringSources()].filter(([f]) => f.startsWith('dashboards/'));
    const { objects } = await helmTemplate([], { set: ['monitoring.dashboards.enabled=true'] });
    const maps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
    expect(maps.map((m) => m.metadata.name).sort()).toEqual(sources.map(([f]) => `orbit-chatorbit-dashboard-${f.slice('dashboards/'.length, -'.json'.length)}`).sort());
    for (const [file, content] of sources) {
      const name = file.slice('dashboards/'.length);
      const map = find(objects, 'ConfigMap', `orbit-chatorbit-dashboard-${name.replace(/\.json$/, '')}`);
      expect(Object.keys(map.data!)).toEqual([name]);
      expect(map.data![name], name).toBe(content);
      const dashboard = JSON.parse(map.data![name]!) as { uid: string; title: string };
      expect(dashboard).toEqual(JSON.parse(read(`monitoring/${file}`)));
      expect(dashboard.uid).toMatch(/^chatorbit-/);
      expect(map.metadata.namespace).toBe('chat');
      expect(map.metadata.annotations ?? {}, 'no folder annotation unless a folder is set').toEqual({});
    }
  });

  it('dashboards: label, value, folder and namespace are configurable', async () => {
    const { objects } = await helmTemplate([], {
      set: ['monitoring.dashboards.enabled=true', 'monitoring.dashboards.label=grafana.com/dashboard', 'monitoring.dashboards.labelValue=chat', 'monitoring.dashboards.folder=Chat Orbit', 'monitoring.dashboards.folderAnnotation=k8s-sidecar-target-directory', 'monitoring.dashboards.namespace=grafana'],
    });
    const maps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.includes('-dashboard-'));
    expect(maps).toHaveLength(5);
    for (const map of maps) {
      expect(map.metadata.labels!['grafana.com/dashboard']).toBe('chat');
      expect(map.metadata.labels!.grafana_dashboard).toBeUndefined();
      expect(map.metadata.annotations).toEqual({ 'k8s-sidecar-target-directory': 'Chat Orbit' });
      expect(map.metadata.namespace).toBe('grafana');
    }
    // The everything set: its own label value and extra labels, in the folder ChatOrbit.
    const everything = (await helmTemplate([join(CHART, 'ci/everything-values.yaml')])).objects.filter((o) => o.metadata.name.includes('-dashboard-'));
    for (const map of everything) {
      expect(map.metadata.labels).toMatchObject({ grafana_dashboard: 'chatorbit', 'example.com/dashboards': 'true', team: 'platform' });
      expect(map.metadata.annotations).toEqual({ grafana_folder: 'ChatOrbit' });
    }
  });

  it.each([['ServiceMonitor', 'Service'], ['PodMonitor', 'Pod']] as const)(
    '%s: scrapes /metrics on the `http` port of exactly the four services, and sets namespace, pod, service and a job containing "chatorbit"',
    async (kind, target) => {
      const key = kind === 'ServiceMonitor' ? 'serviceMonitor' : 'podMonitor';
      for (const [release, fullname, jobPrefix] of [['orbit', undefined, 'orbit-chatorbit'], ['chatorbit', undefined, 'chatorbit'], ['prod', 'chat', 'chatorbit-chat']] as const) {
        const { objects } = await helmTemplate([], { release, set: [`monitoring.${key}.enabled=true`, `monitoring.${key}.labels.release=kps`, ...(fullname ? [`fullnameOverride=${fullname}`] : [])] });
        const monitor = find(objects, kind, fullname ?? (release === 'chatorbit' ? 'chatorbit' : `${release}-chatorbit`));
        expect(monitor.metadata.labels?.release).toBe('kps');
        const spec = monitor.spec as unknown as MonitorSpec;
        expect(spec.namespaceSelector).toEqual({ matchNames: ['chat'] });
        // What it selects: the four Services (or their pods), nothing else of the release.
        const candidates = target === 'Service'
          ? objects.filter((o) => o.kind === 'Service').map((o) => ({ name: o.metadata.name, labels: o.metadata.labels ?? {}, ports: (o.spec as { ports: { name: string }[] }).ports.map((p) => p.name) }))
          : objects.filter(isWorkload).map((w) => ({ name: w.metadata.name, labels: w.spec.template.metadata.labels, ports: w.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)) }));
        const selected = candidates.filter((c) => matches(spec.selector, c.labels));
        expect(selected.map((c) => c.labels[COMPONENT]).sort(), release).toEqual([...SERVICES].sort());
        const endpoints = spec.endpoints ?? spec.podMetricsEndpoints!;
        expect(endpoints).toHaveLength(1);
        const endpoint = endpoints[0]!;
        expect(endpoint).toMatchObject({ port: 'http', path: '/metrics', honorLabels: true });
        for (const c of selected) expect(c.ports, c.name).toContain(endpoint.port);
        const meta = `__meta_kubernetes_${target.toLowerCase()}_label_app_kubernetes_io_component`;
        expect(endpoint.relabelings).toEqual([
          { sourceLabels: ['__meta_kubernetes_namespace'], targetLabel: 'namespace' },
          { sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'pod' },
          { sourceLabels: [meta], targetLabel: 'service' },
          { sourceLabels: [meta], targetLabel: 'job', replacement: `${jobPrefix}-\${1}` },
        ]);
        expect(jobPrefix).toContain('chatorbit');
      }
    },
  );

  it('ServiceMonitor: interval, timeout and more relabelings from the values (the chart\'s come first)', async () => {
    const { objects } = await helmTemplate([join(CHART, 'ci/everything-values.yaml')]);
    const endpoint = (find(objects, 'ServiceMonitor', 'orbit-chatorbit').spec as unknown as MonitorSpec).endpoints![0]!;
    expect(endpoint).toMatchObject({ interval: '30s', scrapeTimeout: '10s', metricRelabelings: [{ action: 'drop', sourceLabels: ['__name__'], regex: 'chatorbit_nodejs_heap_space_.*' }] });
    expect(endpoint.relabelings.map((r) => r.targetLabel)).toEqual(['namespace', 'pod', 'service', 'job', 'cluster']);
  });

  it('tracing off (default): no OTEL_* variable and no tracing module in any service', async () => {
    for (const valuesFiles of [[], [join(CHART, 'ci/production-values.yaml')]]) {
      const { objects } = await helmTemplate(valuesFiles);
      for (const service of SERVICES) {
        const c = find<Workload>(objects, 'Deployment', `orbit-chatorbit-${service}`).spec.template.spec.containers[0]!;
        const configMap = find(objects, 'ConfigMap', `orbit-chatorbit-${service}`).data ?? {};
        const names = [...(c.env ?? []).map((e) => e.name), ...Object.keys(configMap)];
        expect(names.filter((n) => n.startsWith('OTEL_') || n === 'CHART_POD_NAME'), service).toEqual([]);
        expect(c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '', service).not.toContain('--import');
      }
    }
  });

  it('tracing on: every service loads the tracing module (after chat.nodeOptions) and gets the OTEL_* variables', async () => {
    const { objects } = await helmTemplate([join(CHART, 'ci/everything-values.yaml')]);
    const values = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { tracing: { loaderPath: string } };
    for (const service of SERVICES) {
      const c = find<Workload>(objects, 'Deployment', `orbit-chatorbit-${service}`).spec.template.spec.containers[0]!;
      const env = new Map((c.env ?? []).map((e) => [e.name, e]));
      const value = (n: string) => env.get(n)?.value;
      expect(value('NODE_OPTIONS'), service).toBe(
        service === 'chat' ? `--max-semi-space-size=16 --max-old-space-size=768 --import=${values.tracing.loaderPath}` : `--import=${values.tracing.loaderPath}`,
      );
      expect(value('OTEL_SERVICE_NAME')).toBe(`chatorbit-${service}`);
      expect(value('OTEL_EXPORTER_OTLP_ENDPOINT')).toBe('http://otel-collector.observability:4318');
      expect(value('OTEL_EXPORTER_OTLP_PROTOCOL')).toBe('http/protobuf');
      expect(value('OTEL_TRACES_SAMPLER')).toBe('parentbased_traceidratio');
      expect(value('OTEL_TRACES_SAMPLER_ARG')).toBe('0.1');
      expect(value('OTEL_RESOURCE_ATTRIBUTES')).toBe(`deployment.environment.name=staging,k8s.deployment.name=orbit-chatorbit-${service},k8s.namespace.name=chat,k8s.pod.name=$(CHART_POD_NAME)`);
      // $(CHART_POD_NAME) is expanded by the kubelet only if it is defined before.
      const names = (c.env ?? []).map((e) => e.name);
      expect(names.indexOf('CHART_POD_NAME')).toBeLessThan(names.indexOf('OTEL_RESOURCE_ATTRIBUTES'));
      expect(env.get('CHART_POD_NAME')!.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
      // tracing.extraEnv, as given (a Secret reference included).
      expect(env.get('OTEL_EXPORTER_OTLP_HEADERS')!.valueFrom).toEqual({ secretKeyRef: { name: 'otlp-credentials', key: 'headers' } });
      expect(value('OTEL_BSP_MAX_QUEUE_SIZE')).toBe('4096');
    }
    // A sampler without a ratio gets no OTEL_TRACES_SAMPLER_ARG; chat without nodeOptions only the module.
    const { objects: plain } = await helmTemplate([], { set: ['tracing.enabled=true', 'tracing.otlpEndpoint=http://c:4318', 'tracing.sampler=parentbased_always_on', 'chat.nodeOptions='] });
    const chat = find<Workload>(plain, 'Deployment', 'orbit-chatorbit-chat').spec.template.spec.containers[0]!;
    expect(chat.env!.find((e) => e.name === 'NODE_OPTIONS')!.value).toBe(`--import=${values.tracing.loaderPath}`);
    expect(chat.env!.map((e) => e.name)).not.toContain('OTEL_TRACES_SAMPLER_ARG');
    expect(chat.env!.map((e) => e.name)).not.toContain('OTEL_EXPORTER_OTLP_PROTOCOL');
  });

  it('tracing.loaderPath is where the image has services/shared/src/tracing.ts', () => {
    const values = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { tracing: { loaderPath: string } };
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^COPY --from=build \/src\/services \/app\/services$/m);
    expect(values.tracing.loaderPath).toBe('/app/services/shared/src/tracing.ts');
    expect(() => read('services/shared/src/tracing.ts')).not.toThrow();
    // The image keeps shared and deletes only tests.
    expect(dockerfile).toContain("! -name shared ! -name \"$SERVICE\" -exec rm -rf {} +");
    expect(dockerfile).toContain("find services -name '*.test.ts' -delete");
  });

  it('blockedPaths empty: /metrics and /readyz go to the gateway like everything else, and no blocked Service exists', async () => {
    const { objects } = await helmTemplate([], { set: ['ingress.enabled=true', 'ingress.blockedPaths=null', 'httpRoute.enabled=true', 'httpRoute.parentRefs[0].name=gw', 'httpRoute.blockedPaths=null'] });
    expect(objects.filter((o) => o.metadata.name.endsWith('-blocked'))).toEqual([]);
    const paths = objects.filter((o) => o.kind === 'Ingress').flatMap((i) => (i.spec as { rules: { http: { paths: { path: string }[] } }[] }).rules.flatMap((r) => r.http.paths.map((p) => p.path)));
    expect(paths.sort()).toEqual(['/', '/ws', '/ws/chat']);
    const rules = (find(objects, 'HTTPRoute', 'orbit-chatorbit').spec as { rules: unknown[] }).rules;
    expect(rules).toHaveLength(2);
  });
});

interface AlertRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface MonitorEndpoint {
  port: string;
  path: string;
  honorLabels: boolean;
  interval?: string;
  scrapeTimeout?: string;
  relabelings: { sourceLabels?: string[]; targetLabel?: string; replacement?: string }[];
  metricRelabelings?: unknown[];
}

interface MonitorSpec {
  namespaceSelector: { matchNames: string[] };
  selector: LabelSelector;
  endpoints?: MonitorEndpoint[];
  podMetricsEndpoints?: MonitorEndpoint[];
}

describe('delivery files agree with the chart', () => {
  const repo = join(CHART, '../..');
  const read = (path: string) => readFileSync(join(repo, path), 'utf8');

  it('the image runs as the uid the chart and compose run it as, with node as PID 1', () => {
    const dockerfile = read('Dockerfile');
    const values = parseYaml(read('charts/chatorbit/values.yaml')) as { podSecurityContext: { runAsUser: number; runAsGroup: number } };
    const user = /^USER (\d+):(\d+)$/m.exec(dockerfile);
    expect(user?.slice(1).map(Number)).toEqual([values.podSecurityContext.runAsUser, values.podSecurityContext.runAsGroup]);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["src\/main\.ts"\]$/m);
    const compose = parseYaml(read('docker-compose.yaml'), { merge: true }) as { services: Record<string, { user?: string }> };
    for (const service of SERVICES) expect(compose.services[service]!.user).toBe(`${values.podSecurityContext.runAsUser}:${values.podSecurityContext.runAsGroup}`);
    // What the build needs is not ignored.
    const ignore = read('.dockerignore');
    for (const path of ['!package.json', '!pnpm-lock.yaml', '!pnpm-workspace.yaml', '!services/']) expect(ignore.split('\n')).toContain(path);
  });

  it('skaffold builds the four images and hands each to the chart value that uses it', async () => {
    const skaffold = parseYaml(read('skaffold.yaml')) as {
      apiVersion: string;
      build: { artifacts: { image: string; docker: { buildArgs: { SERVICE: string } } }[] };
      deploy: { helm: { releases: { name: string; chartPath?: string; valuesFiles: string[]; setValueTemplates?: Record<string, string> }[] } };
    };
    expect(skaffold.apiVersion).toBe('skaffold/v4beta13');
    expect(skaffold.build.artifacts.map((a) => [a.image, a.docker.buildArgs.SERVICE])).toEqual(SERVICES.map((s) => [`chatorbit/${s}`, s]));
    const release = skaffold.deploy.helm.releases.find((r) => r.chartPath === 'charts/chatorbit')!;
    for (const file of release.valuesFiles) expect(() => read(file)).not.toThrow();
    const set = Object.entries(release.setValueTemplates!).map(([k, v]) => `${k}=${v.replace(/\{\{\.IMAGE_(REPO|TAG)_chatorbit_(\w+)\}\}/, (_, kind: string, s: string) => (kind === 'REPO' ? `registry.test/${s}` : 'dev-tag'))}`);
    expect(set).toHaveLength(8);
    const { objects } = await helmTemplate(release.valuesFiles.map((f) => join(repo, f)), { set });
    for (const service of SERVICES) {
      const image = find<Workload>(objects, 'Deployment', `chatorbit-${service}`).spec.template.spec.containers[0]!.image;
      expect(image).toBe(`registry.test/${service}:dev-tag`);
    }
  });

  it('kube-prometheus-stack (k8s/) picks up the chart\'s monitors, rules and dashboards whatever their labels, and may scrape the services', async () => {
    const kps = parseYaml(read('k8s/kube-prometheus-stack-values.yaml')) as {
      prometheus: { prometheusSpec: Record<string, unknown> };
      grafana: { sidecar: { dashboards: { enabled: boolean; label: string; labelValue: string; searchNamespace: string; folderAnnotation: string; provider: { foldersFromFilesStructure: boolean } } } };
    };
    const spec = kps.prometheus.prometheusSpec;
    for (const kind of ['serviceMonitor', 'podMonitor', 'rule']) {
      expect(spec[`${kind}SelectorNilUsesHelmValues`], kind).toBe(false);
      expect(spec[`${kind}Selector`], kind).toEqual({});
      expect(spec[`${kind}NamespaceSelector`], kind).toEqual({});
    }
    // Grafana's sidecar looks for the label, value and folder annotation the chart sets.
    const { objects } = await helmTemplate([join(repo, 'k8s/dev-values.yaml'), join(repo, 'k8s/monitoring-values.yaml')]);
    const dashboards = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('chatorbit-dashboard-'));
    expect(dashboards).toHaveLength(5);
    const sidecar = kps.grafana.sidecar.dashboards;
    expect(sidecar).toMatchObject({ enabled: true, searchNamespace: 'ALL', provider: { foldersFromFilesStructure: true } });
    for (const map of dashboards) {
      expect(map.metadata.labels![sidecar.label]).toBe(sidecar.labelValue);
      expect(map.metadata.annotations![sidecar.folderAnnotation]).toBe('ChatOrbit');
    }
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['ServiceMonitor', 'PrometheusRule']));
    // The stack's namespace (README: `-n monitoring`) may reach every service's /metrics.
    for (const np of objects.filter((o) => o.kind === 'NetworkPolicy' && ['auth', 'user'].includes(o.metadata.labels![COMPONENT]!))) {
      const rules = (np.spec as { ingress: { from: { namespaceSelector?: LabelSelector }[] }[] }).ingress;
      expect(rules.some((r) => r.from.some((p) => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring')), np.metadata.name).toBe(true);
    }
    expect(read('README.md')).toContain('-n monitoring --create-namespace -f k8s/kube-prometheus-stack-values.yaml');
  });

  it('kind publishes the node port ingress-nginx listens on as localhost:8080, where the e2e job goes', () => {
    const kind = parseYaml(read('kind-config.yaml')) as { name: string; nodes: { labels: Record<string, string>; extraPortMappings: { containerPort: number; hostPort: number }[] }[] };
    const nginx = parseYaml(read('k8s/ingress-nginx-kind-values.yaml')) as { controller: { hostPort: { enabled: boolean }; nodeSelector: Record<string, string> } };
    const node = kind.nodes[0]!;
    expect(node.extraPortMappings).toContainEqual(expect.objectContaining({ containerPort: 80, hostPort: 8080 }));
    expect(nginx.controller.hostPort.enabled).toBe(true);
    for (const [k, v] of Object.entries(nginx.controller.nodeSelector).filter(([k]) => k !== 'kubernetes.io/os')) expect(node.labels[k]).toBe(v);
    const skaffold = parseYaml(read('skaffold.yaml')) as { deploy: { kubeContext: string } };
    expect(skaffold.deploy.kubeContext).toBe(`kind-${kind.name}`);
    const workflow = read('.github/workflows/ci.yml');
    expect(workflow).toContain('node k8s/e2e/round-trip.ts http://localhost:8080 /ws/chat');
    expect(workflow).toContain(`cluster_name: ${kind.name}`);
  });

  it('the e2e round trip works against a real ChatOrbit: /ws/chat in its own protocol, and /ws', async () => {
    // The job on kind runs it through the Ingress; here against the standalone build (memory
    // engine, one process), whose gateway serves /ws and /ws/chat as chat does.
    const chatorbit = await spawnService(join(repo, 'services/standalone/src/main.ts'), {});
    try {
      const roundTrip = (...args: string[]) => run(process.execPath, [join(repo, 'k8s/e2e/round-trip.ts'), chatorbit.url, ...args], { env: { ...process.env, ROUND_TRIP_TIMEOUT_MS: '10000' } });
      for (const [args, path] of [[[], '/ws/chat'], [['/ws'], '/ws']] as const) {
        const result = await roundTrip(...args);
        expect(result, chatorbit.output()).toMatchObject({ code: 0, stderr: '' });
        expect(result.stdout).toMatch(new RegExp(`^round trip ok: alice \\(${path}\\) → bob \\(/ws\\)`));
      }
      // And it fails, saying why, where there is no such socket.
      const nowhere = await roundTrip('/ws/nowhere');
      expect(nowhere.code).toBe(1);
      expect(nowhere.stderr).toContain('round trip failed: /ws/nowhere');
    } finally {
      await chatorbit.stop();
    }
  });
});
