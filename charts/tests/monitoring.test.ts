// The chart's monitoring and tracing wiring against the real thing, without a cluster:
// - a real Prometheus (Debian's) scrapes real ChatOrbit services with the scrape jobs the Prometheus
//   Operator would generate from the rendered ServiceMonitor / PodMonitor (lib/operator-scrape.ts),
//   targets carrying the discovery labels of the rendered Services and pods: the series must get the
//   labels the dashboards and alerts rely on;
// - real ChatOrbit processes started with the tracing environment the chart renders (NODE_OPTIONS
//   and OTEL_*, $(VAR) expanded as the kubelet does) export their spans to an OTLP receiver.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, prometheusBinary, spawnService, waitFor, type ServiceProcess } from '@chatorbit/shared/testing';
import { find, helmTemplate, isWorkload, type Container, type Workload } from './lib/helm.ts';
import { operatorScrapeConfig, podTarget, serviceTarget, type DiscoveredTarget, type Monitor } from './lib/operator-scrape.ts';
import { REPO } from './lib/tools.ts';

const SERVICES = ['gateway', 'auth', 'user', 'chat'] as const;
type ServiceName = (typeof SERVICES)[number];
const COMPONENT = 'app.kubernetes.io/component';
const main = (service: string) => join(REPO, `services/${service}/src/main.ts`);
/** Where nothing listens: a target the monitors must not keep (it would show as up == 0). */
const NOWHERE = '127.0.0.1:9';

/** The four services as separate processes (in-memory storage), wired as the chart wires them. */
async function startServices(): Promise<Record<ServiceName, ServiceProcess>> {
  const auth = await spawnService(main('auth'), {});
  const jwks = `${auth.url}/.well-known/jwks.json`;
  const [user, chat] = await Promise.all([spawnService(main('user'), { AUTH_JWKS_URL: jwks }), spawnService(main('chat'), { AUTH_JWKS_URL: jwks })]);
  const gateway = await spawnService(main('gateway'), { AUTH_URL: auth.url, USER_URL: user.url, CHAT_URL: chat.url });
  return { gateway, auth, user, chat };
}

describe('the ServiceMonitor and PodMonitor, as the Prometheus Operator turns them into scrape jobs, in a real Prometheus', () => {
  let services: Record<ServiceName, ServiceProcess>;
  let prometheus: { url: string; stop: () => Promise<void> } | undefined;
  const address = (component: string) => (SERVICES as readonly string[]).includes(component) ? `127.0.0.1:${services[component as ServiceName].port}` : NOWHERE;

  /** Each variant is rendered into a namespace of its own, so that their series never collide. */
  const variants = [
    { namespace: 'sm', kind: 'ServiceMonitor', release: 'orbit', set: [], fullname: 'orbit-chatorbit', job: 'orbit-chatorbit' },
    // A Prometheus with overrideHonorLabels: the scraped `service` label becomes exported_service.
    { namespace: 'sm-override', kind: 'ServiceMonitor', release: 'orbit', set: [], fullname: 'orbit-chatorbit', job: 'orbit-chatorbit', overrideHonorLabels: true },
    { namespace: 'pm', kind: 'PodMonitor', release: 'orbit', set: [], fullname: 'orbit-chatorbit', job: 'orbit-chatorbit' },
    // A release whose names lack "chatorbit": the job gets it anyway.
    { namespace: 'sm-renamed', kind: 'ServiceMonitor', release: 'prod', set: ['fullnameOverride=chat'], fullname: 'chat', job: 'chatorbit-chat' },
  ] as const;

  beforeAll(async () => {
    services = await startServices();
    const jobs: Record<string, unknown>[] = [];
    for (const v of variants) {
      const key = v.kind === 'ServiceMonitor' ? 'serviceMonitor' : 'podMonitor';
      // With the Ingress on, the blocked Service (port `http`, no endpoints in a cluster) is there
      // too: the selector must leave it out.
      const { objects } = await helmTemplate([], { release: v.release, namespace: v.namespace, set: [`monitoring.${key}.enabled=true`, 'ingress.enabled=true', ...v.set] });
      const monitor = objects.find((o) => o.kind === v.kind) as Monitor;
      const workloads = objects.filter(isWorkload);
      const podOf = (component: string) => workloads.find((w) => w.spec.template.metadata.labels[COMPONENT] === component);
      const targets: DiscoveredTarget[] = [];
      if (v.kind === 'ServiceMonitor') {
        for (const svc of objects.filter((o) => o.kind === 'Service')) {
          const component = svc.metadata.labels![COMPONENT]!;
          const workload = podOf(component);
          const pod = { name: `${svc.metadata.name}-0`, container: component, labels: workload?.spec.template.metadata.labels ?? {} };
          for (const port of (svc.spec as { ports: { name: string }[] }).ports) targets.push(serviceTarget(svc, port.name, address(component), pod));
        }
      } else {
        for (const w of workloads) {
          const component = w.spec.template.metadata.labels[COMPONENT]!;
          const pod = { name: `${w.metadata.name}-5d8f9-x2x7q`, labels: w.spec.template.metadata.labels };
          for (const c of w.spec.template.spec.containers) for (const p of c.ports ?? []) targets.push(podTarget(v.namespace, pod, c.name, p.name, address(component)));
        }
      }
      jobs.push(operatorScrapeConfig(monitor, targets, { overrideHonorLabels: 'overrideHonorLabels' in v && v.overrideHonorLabels }));
    }
    prometheus = await startPrometheus({ global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' }, scrape_configs: jobs });
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    for (const s of Object.values(services ?? {})) await s.stop('SIGKILL');
  });

  const query = async (expr: string) => {
    const res = await fetch(`${prometheus!.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result;
  };

  it.each(variants.map((v) => [v.namespace, v] as const))('%s: exactly the four services are scraped, as <release>-<service> jobs with namespace, pod and service', async (_name, v) => {
    // Every kept target scraped once: four, all up (a wrongly kept target would be down).
    await waitFor(async () => (await query(`up{namespace="${v.namespace}"}`)).length >= 4 && (await query(`chatorbit_ready{namespace="${v.namespace}"}`)).length >= 4, {
      timeoutMs: 30_000, intervalMs: 250, message: `the ${v.namespace} targets to be scraped`,
    });
    const up = await query(`up{namespace="${v.namespace}"}`);
    expect(up.map((s) => [s.metric.job, s.metric.service, s.value[1]]).sort()).toEqual(SERVICES.map((s) => [`${v.job}-${s}`, s, '1']).sort());
    for (const s of up) {
      expect(s.metric.pod, JSON.stringify(s.metric)).toMatch(new RegExp(`^${v.fullname}-${s.metric.service}-`));
      expect(s.metric.namespace).toBe(v.namespace);
    }
    // ChatOrbitTargetDown's selector finds them.
    expect(await query(`up{namespace="${v.namespace}", job=~".*chatorbit.*"}`)).toHaveLength(4);
    // The services' own series: `service` is the service, whichever side wins.
    const ready = await query(`chatorbit_ready{namespace="${v.namespace}"}`);
    expect(ready.map((s) => [s.metric.job, s.metric.service]).sort()).toEqual(SERVICES.map((s) => [`${v.job}-${s}`, s]).sort());
    for (const s of ready) {
      expect(s.metric.pod).toBeTruthy();
      if ('overrideHonorLabels' in v && v.overrideHonorLabels) expect(s.metric.exported_service).toBe(s.metric.service);
      else expect(s.metric.exported_service, 'honorLabels: no exported_service').toBeUndefined();
    }
    // What the dashboards ask (namespace and pod on every selector, grouped by service) has data.
    const http = await query(`sum by (service) (chatorbit_http_request_duration_seconds_count{namespace="${v.namespace}", pod=~".+"})`);
    expect(http.length).toBeGreaterThan(0);
  });
});

describe('the tracing environment the chart renders, in real services', () => {
  let services: Record<ServiceName, ServiceProcess>;
  let receiver: Server;
  let receiverUrl: string;
  const traced: ServiceProcess[] = [];
  const resources: Record<string, string>[] = [];

  beforeAll(async () => {
    services = await startServices();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const data = JSON.parse(body) as { resourceSpans: { resource: { attributes: { key: string; value: Record<string, unknown> }[] } }[] };
          for (const rs of data.resourceSpans) resources.push(Object.fromEntries(rs.resource.attributes.map((a) => [a.key, String(Object.values(a.value)[0])])));
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    for (const s of [...traced, ...Object.values(services ?? {})]) await s.stop('SIGKILL');
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('turns tracing on in the gateway and chat: spans reach the collector as chatorbit-<service>, with the pod\'s attributes', { timeout: 60_000 }, async () => {
    const { objects } = await helmTemplate([], {
      set: [
        'tracing.enabled=true', `tracing.otlpEndpoint=${receiverUrl}`, 'tracing.protocol=http/json', 'tracing.samplerRatio=1',
        // The module where this checkout has it (in the image: /app/services/shared/src/tracing.ts).
        `tracing.loaderPath=${join(REPO, 'services/shared/src/tracing.ts')}`,
        'tracing.resourceAttributes.deployment\\.environment\\.name=test',
        'tracing.extraEnv[0].name=OTEL_BSP_SCHEDULE_DELAY', 'tracing.extraEnv[0].value=100',
      ],
    });
    for (const service of ['gateway', 'chat'] as const) {
      const pod = `orbit-chatorbit-${service}-7c9d-abcde`;
      const env = kubeletEnv(find<Workload>(objects, 'Deployment', `orbit-chatorbit-${service}`).spec.template.spec.containers[0]!, pod);
      // Only Node's and OpenTelemetry's variables: storage and ports come from this test.
      const tracingEnv = Object.fromEntries(Object.entries(env).filter(([k]) => k === 'NODE_OPTIONS' || k.startsWith('OTEL_')));
      if (service === 'chat') expect(tracingEnv.NODE_OPTIONS).toMatch(/^--max-semi-space-size=16 --import=/);
      const wiring: Record<string, string> = service === 'gateway'
        ? { AUTH_URL: services.auth.url, USER_URL: services.user.url, CHAT_URL: services.chat.url }
        : { AUTH_JWKS_URL: `${services.auth.url}/.well-known/jwks.json` };
      const process = await spawnService(main(service), { ...wiring, ...tracingEnv });
      traced.push(process);
      // Any request outside /healthz, /readyz and /metrics is traced.
      await fetch(`${process.url}/openapi.json`);
      await waitFor(async () => resources.some((r) => r['service.name'] === `chatorbit-${service}`), {
        timeoutMs: 20_000, intervalMs: 100, message: `spans of chatorbit-${service} (${process.output().slice(-2000)})`,
      });
      expect(resources.find((r) => r['service.name'] === `chatorbit-${service}`)).toMatchObject({
        'k8s.pod.name': pod,
        'k8s.namespace.name': 'chat',
        'k8s.deployment.name': `orbit-chatorbit-${service}`,
        'deployment.environment.name': 'test',
      });
    }
    // The untraced services (no such environment) sent nothing.
    expect(new Set(resources.map((r) => r['service.name']))).toEqual(new Set(['chatorbit-gateway', 'chatorbit-chat']));
  });
});

/**
 * A container's environment as the kubelet gives it: values in order, $(NAME) of an earlier
 * variable expanded, metadata.name from the pod. Secret and ConfigMap references are left out.
 */
function kubeletEnv(container: Container, podName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = podName;
    else if (e.value !== undefined) env[e.name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
  }
  return env;
}

/** Prometheus with this configuration on a free loopback port, until stop(). */
async function startPrometheus(config: Record<string, unknown>): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'chatorbit-chart-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2)); // JSON is YAML
  const port = await freePort();
  const child: ChildProcess = spawn(prometheusBinary('prometheus'), [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${output}`);
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
    }, { timeoutMs: 30_000, intervalMs: 100, message: 'prometheus to be ready' });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output}`, { cause: err });
  }
  return { url, stop };
}

