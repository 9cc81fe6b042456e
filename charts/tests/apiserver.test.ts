// `helm install`, `helm upgrade` and `helm uninstall` of the chart against a real kube-apiserver
// (with etcd) on loopback. This checks what the API server decides: every object is validated and
// admitted, `lookup` sees the stored Secrets, upgrades and uninstalls do what they should. It does
// NOT run anything: there is no kubelet, scheduler or controller-manager, so no pod is ever created
// or started, no probe runs, and StatefulSets create no PVCs.
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { waitFor } from '@chatorbit/shared/testing';
import { startApiServer, type ApiServer } from './lib/apiserver.ts';
import { parseObjects, VALUES_SETS, type K8sObject, type Workload } from './lib/helm.ts';
import { CHART, run, tools } from './lib/tools.ts';

let server: ApiServer;
let helmHome: string;

beforeAll(async () => {
  server = await startApiServer();
  helmHome = mkdtempSync(join(tmpdir(), 'chatorbit-helm-'));
  // The CRDs of the optional kinds first, as a cluster that uses them has them: the Gateway API
  // (HTTPRoute) and the Prometheus Operator's (ServiceMonitor, PodMonitor, PrometheusRule).
  for (const dir of [tools.gatewayApiCrds(), tools.prometheusOperatorCrds()]) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
        const crd = doc.toJS() as K8sObject | null;
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        const res = await server.api.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
        expect(res.status, `${crd.metadata.name}: ${JSON.stringify(res.body)}`).toBe(201);
      }
    }
  }
  for (const [group, kinds] of [['gateway.networking.k8s.io/v1', ['HTTPRoute']], ['monitoring.coreos.com/v1', ['ServiceMonitor', 'PodMonitor', 'PrometheusRule']]] as const) {
    await waitFor(
      async () => {
        const res = await server.api.request<{ resources?: { kind: string }[] }>('GET', `/apis/${group}`);
        return res.status === 200 && kinds.every((k) => res.body.resources?.some((r) => r.kind === k));
      },
      { timeoutMs: 30_000, intervalMs: 200, message: `${group} (${kinds.join(', ')}) to be served` },
    );
  }
  // Where the everything values set puts the dashboard ConfigMaps (monitoring.dashboards.namespace).
  await createNamespace('monitoring');
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (helmHome) rmSync(helmHome, { recursive: true, force: true });
});

async function helm(...args: string[]) {
  const result = await run(tools.helm(), args, {
    env: {
      PATH: process.env.PATH,
      HOME: helmHome,
      KUBECONFIG: server.kubeconfig,
      HELM_CACHE_HOME: join(helmHome, 'cache'),
      HELM_CONFIG_HOME: join(helmHome, 'config'),
      HELM_DATA_HOME: join(helmHome, 'data'),
    },
  });
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${result.code}):\n${result.stderr}\n${result.stdout}\n${server.logs().slice(-3000)}`);
  // Fields the API server does not know come back as warnings, which helm prints.
  expect(result.stderr, `helm ${args[0]} warnings`).not.toMatch(/unknown field|warning/i);
  return result.stdout;
}

/**
 * A namespace under the "restricted" Pod Security Standard: pods breaking it would be refused, and
 * the API server warns about every workload whose pod template breaks it (helm prints those
 * warnings, and helm() fails on any).
 */
async function createNamespace(name: string) {
  const labels = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' };
  const res = await server.api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  expect(res.status).toBe(201);
}

const secretData = async (ns: string, name: string) =>
  (await server.api.get<{ data: Record<string, string> }>(`/api/v1/namespaces/${ns}/secrets/${name}`)).data;
const decode = (b64: string) => Buffer.from(b64, 'base64').toString();

async function manifestObjects(release: string, ns: string): Promise<K8sObject[]> {
  return parseObjects(await helm('get', 'manifest', release, '--namespace', ns));
}

/** The API path of a namespaced object of the chart. */
function pathOf(o: K8sObject, ns: string): string {
  const plural: Record<string, string> = {
    Deployment: 'deployments', StatefulSet: 'statefulsets', Service: 'services', ConfigMap: 'configmaps', Secret: 'secrets',
    ServiceAccount: 'serviceaccounts', PodDisruptionBudget: 'poddisruptionbudgets', NetworkPolicy: 'networkpolicies',
    HorizontalPodAutoscaler: 'horizontalpodautoscalers', Ingress: 'ingresses', HTTPRoute: 'httproutes',
    ServiceMonitor: 'servicemonitors', PodMonitor: 'podmonitors', PrometheusRule: 'prometheusrules',
  };
  const resource = plural[o.kind];
  if (!resource) throw new Error(`no API path known for ${o.kind}`);
  const prefix = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  return `${prefix}/namespaces/${o.metadata.namespace ?? ns}/${resource}/${o.metadata.name}`;
}

describe('the chart in a real API server (admission only: no kubelet, so no pod ever runs)', () => {
  const ns = 'chatorbit';
  const release = 'orbit';
  let firstKeys: Record<string, string>;

  it('installs with the default values: the API server admits and stores every object', { timeout: 120_000 }, async () => {
    await createNamespace(ns);
    const out = await helm('install', release, CHART, '--namespace', ns);
    expect(out).toContain('STATUS: deployed');
    // NOTES.txt: how to reach it, the admin password, orbitctl.
    expect(out).toContain(`kubectl -n ${ns} port-forward`);
    expect(out).toContain(`get service -l app.kubernetes.io/instance=${release},app.kubernetes.io/component=gateway -o name`);
    expect(out).toContain(`get secret ${release}-chatorbit-admin -o jsonpath='{.data.password}'`);
    expect(out).toContain(`orbitctl check -n ${ns} --release ${release}`);
    expect(out).toContain('orbitctl login --server http://localhost:8080 --username');

    const objects = await manifestObjects(release, ns);
    expect(objects.length).toBeGreaterThan(30);
    for (const o of objects) {
      const stored = await server.api.get<K8sObject>(pathOf(o, ns));
      expect(stored.metadata.labels?.['app.kubernetes.io/managed-by'], `${o.kind}/${o.metadata.name}`).toBe('Helm');
    }
    // Defaulting happened server-side: the stored Deployment has the fields the API server adds.
    const chat = await server.api.get<Workload>(`/apis/apps/v1/namespaces/${ns}/deployments/${release}-chatorbit-chat`);
    expect(chat.spec.template.spec.containers[0]!.lifecycle!.preStop!.sleep!.seconds).toBe(10);
    expect((chat.spec as unknown as { progressDeadlineSeconds: number }).progressDeadlineSeconds).toBe(600);

    firstKeys = {
      ...(await secretData(ns, `${release}-chatorbit-jwt`)),
      ...Object.fromEntries(Object.entries(await secretData(ns, `${release}-chatorbit-admin`)).map(([k, v]) => [`admin/${k}`, v])),
      ...Object.fromEntries(Object.entries(await secretData(ns, `${release}-chatorbit-redis`)).map(([k, v]) => [`redis/${k}`, v])),
      ...Object.fromEntries(Object.entries(await secretData(ns, `${release}-chatorbit-mongodb`)).map(([k, v]) => [`mongodb/${k}`, v])),
    };
    expect(createPrivateKey(decode(firstKeys['signing.pem']!)).asymmetricKeyType).toBe('ed25519');
    expect(decode(firstKeys['admin/password']!)).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(decode(firstKeys['admin/username']!)).toBe('admin');
    expect(decode(firstKeys['redis/redis-password']!)).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(Object.keys(firstKeys).filter((k) => k.startsWith('mongodb/')).sort()).toEqual(['mongodb/keyfile', 'mongodb/password', 'mongodb/root-password']);
  });

  it('upgrades: applies changed values, keeps the JWT key and every password, rolls only what changed', { timeout: 120_000 }, async () => {
    const annotations = async (component: string) =>
      (await server.api.get<Workload>(`/apis/apps/v1/namespaces/${ns}/deployments/${release}-chatorbit-${component}`)).spec.template.metadata.annotations!;
    const before = { chat: await annotations('chat'), auth: await annotations('auth') };

    await helm('upgrade', release, CHART, '--namespace', ns, '--reuse-values', '--set', 'chat.config.MAX_TEXT_LENGTH=700');
    const config = await server.api.get<K8sObject>(`/api/v1/namespaces/${ns}/configmaps/${release}-chatorbit-chat`);
    expect(config.data!.MAX_TEXT_LENGTH).toBe('700');
    const after = { chat: await annotations('chat'), auth: await annotations('auth') };
    expect(after.chat['checksum/config']).not.toBe(before.chat['checksum/config']);
    expect(after.auth).toEqual(before.auth);

    for (const [secret, prefix] of [['jwt', ''], ['admin', 'admin/'], ['redis', 'redis/'], ['mongodb', 'mongodb/']] as const) {
      const data = await secretData(ns, `${release}-chatorbit-${secret}`);
      for (const [k, v] of Object.entries(data)) expect(v, `${secret} ${k} kept`).toBe(firstKeys[`${prefix}${k}`]);
    }
  });

  it('rotates the signing key in three steps (publish next.pem, sign with it, drop the old key), rolling auth each time', { timeout: 180_000 }, async () => {
    const jwt = () => secretData(ns, `${release}-chatorbit-jwt`);
    const authChecksum = async () =>
      (await server.api.get<Workload>(`/apis/apps/v1/namespaces/${ns}/deployments/${release}-chatorbit-auth`)).spec.template.metadata.annotations!['checksum/secrets'];
    const upgrade = (...set: string[]) => helm('upgrade', release, CHART, '--namespace', ns, '--reuse-values', ...set.flatMap((s) => ['--set', s]));
    const config = await server.api.get<K8sObject>(`/api/v1/namespaces/${ns}/configmaps/${release}-chatorbit-auth`);
    expect(config.data).toMatchObject({ JWT_PRIVATE_KEY_FILE: '/etc/chatorbit/jwt/signing.pem', JWT_VERIFY_KEYS_DIR: '/etc/chatorbit/jwt' });
    const checksums = [await authChecksum()];

    // 1. A next key, published (every *.pem is) while the current one still signs.
    await upgrade('auth.jwt.rotation.nextKey=true');
    const step1 = await jwt();
    expect(Object.keys(step1).sort()).toEqual(['next.pem', 'signing.pem']);
    expect(step1['signing.pem']).toBe(firstKeys['signing.pem']);
    expect(createPrivateKey(decode(step1['next.pem']!)).asymmetricKeyType).toBe('ed25519');
    checksums.push(await authChecksum());
    // Upgrading again changes nothing: the next key is kept, not made anew.
    await upgrade('gateway.replicas=3');
    expect(await jwt()).toEqual(step1);

    // 2. The next key signs; the old one stays accepted as previous-1.pem.
    await upgrade('auth.jwt.rotation.generation=2', 'auth.jwt.rotation.nextKey=false');
    const step2 = await jwt();
    expect(Object.keys(step2).sort()).toEqual(['previous-1.pem', 'signing.pem']);
    expect(step2['signing.pem']).toBe(step1['next.pem']);
    expect(step2['previous-1.pem']).toBe(firstKeys['signing.pem']);
    checksums.push(await authChecksum());

    // 3. Once the old key's tokens have expired, it goes.
    await upgrade('auth.jwt.rotation.keepPrevious=0');
    expect(await jwt()).toEqual({ 'signing.pem': step2['signing.pem'] });
    checksums.push(await authChecksum());
    expect(new Set(checksums).size, 'auth pods roll at every step').toBe(checksums.length);

    // Without step 1, a generation bump makes a new signing key at once.
    await upgrade('auth.jwt.rotation.keepPrevious=1', 'auth.jwt.rotation.generation=3');
    const direct = await jwt();
    expect(direct['previous-1.pem']).toBe(step2['signing.pem']);
    expect(Object.values(direct)).not.toContain(firstKeys['signing.pem']);
    expect(createPrivateKey(decode(direct['signing.pem']!)).asymmetricKeyType).toBe('ed25519');
  });

  it('uninstalls without leaving anything in the namespace', { timeout: 120_000 }, async () => {
    expect((await server.api.listNamespace(ns)).length).toBeGreaterThan(30);
    await helm('uninstall', release, '--namespace', ns, '--wait');
    expect(await server.api.listNamespace(ns)).toEqual([]);
  });
});

describe('Pod Security admission', () => {
  it('warns about a pod template that breaks the restricted standard (so the clean installs above mean something)', { timeout: 120_000 }, async () => {
    const ns = 'pss-check';
    await createNamespace(ns);
    const result = await run(tools.helm(), ['install', 'loose', CHART, '--namespace', ns, '--set', 'securityContext.allowPrivilegeEscalation=true'], {
      env: { PATH: process.env.PATH, HOME: helmHome, KUBECONFIG: server.kubeconfig, HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_DATA_HOME: join(helmHome, 'data') },
    });
    expect(result.code).toBe(0);
    // klog quotes the message: \"restricted:latest\"
    expect(result.stderr).toMatch(/would violate PodSecurity \\?"restricted:latest\\?": allowPrivilegeEscalation != false/);
    await helm('uninstall', 'loose', '--namespace', ns, '--wait');
  });
});

describe.each(Object.entries(VALUES_SETS).filter(([name]) => name !== 'defaults'))('values set "%s" in the API server', (setName, valuesFiles) => {
  it('is admitted, and uninstall leaves only what keepSecretsOnUninstall keeps', { timeout: 120_000 }, async () => {
    const ns = `set-${setName.replace(/[^a-z0-9-]/g, '-')}`;
    await createNamespace(ns);
    await helm('install', 'orbit', CHART, '--namespace', ns, ...valuesFiles.flatMap((f) => ['--values', f]));
    const objects = await manifestObjects('orbit', ns);
    for (const o of objects) {
      const stored = await server.api.get<K8sObject>(pathOf(o, ns));
      // Custom resources keep every field the chart sets (nothing unknown to the CRD was pruned; the
      // API server may add defaults such as action: replace).
      if (o.apiVersion.startsWith('monitoring.coreos.com/')) expect(stored.spec, `${o.kind}/${o.metadata.name}`).toMatchObject(o.spec!);
    }
    const kinds = new Set(objects.map((o) => o.kind));
    if (setName === 'everything') expect(kinds).toContain('HTTPRoute');
    if (setName !== 'external-secrets') expect(kinds).toContain('Secret');
    if (setName === 'everything' || setName === 'k8s/dev+monitoring') {
      expect([...kinds]).toEqual(expect.arrayContaining(['ServiceMonitor', 'PrometheusRule']));
      expect(objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.includes('-dashboard-'))).toHaveLength(5);
    }

    await helm('uninstall', 'orbit', '--namespace', ns, '--wait');
    expect(await server.api.listNamespace('monitoring'), 'nothing left where the dashboards were').toEqual([]);
    const left = await server.api.listNamespace(ns);
    expect(left).toEqual(
      setName === 'production'
        ? ['Secret/orbit-chatorbit-admin', 'Secret/orbit-chatorbit-jwt', 'Secret/orbit-chatorbit-mongodb', 'Secret/orbit-chatorbit-redis']
        : [],
    );
  });
});

describe('the PodMonitor in the API server', () => {
  it('is admitted with every field (the alternative to the ServiceMonitor), and goes with the release', { timeout: 120_000 }, async () => {
    const ns = 'podmonitor';
    await createNamespace(ns);
    await helm('install', 'orbit', CHART, '--namespace', ns, '--set', 'monitoring.podMonitor.enabled=true', '--set', 'monitoring.podMonitor.interval=15s', '--set', 'monitoring.prometheusRule.enabled=true');
    const objects = await manifestObjects('orbit', ns);
    const monitor = objects.find((o) => o.kind === 'PodMonitor')!;
    expect(monitor).toBeDefined();
    expect(objects.map((o) => o.kind)).not.toContain('ServiceMonitor');
    const stored = await server.api.get<K8sObject>(pathOf(monitor, ns));
    expect(stored.spec).toMatchObject(monitor.spec!);
    expect((stored.spec as { podMetricsEndpoints: { port: string; interval: string }[] }).podMetricsEndpoints[0]).toMatchObject({ port: 'http', interval: '15s' });
    await helm('uninstall', 'orbit', '--namespace', ns, '--wait');
    expect(await server.api.listNamespace(ns)).toEqual([]);
  });
});
