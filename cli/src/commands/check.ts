import type { Cli } from '../cli.ts';
import { configPath, currentContext, readConfig } from '../config.ts';
import { CliError, ExitCode } from '../errors.ts';
import { paint } from '../output.ts';
import { askSentinel } from '../resp.ts';
import { askHello, credentialOf, helloResult, MongoAuthError } from '../mongo.ts';
import type { KubeConfig, V1Deployment, V1Pod, V1PodSpec, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { DEFAULT_RELEASE } from '../connect.ts';
import { act, type Registrar } from './common.ts';

export type Status = 'ok' | 'warn' | 'fail';
export interface CheckResult {
  category: string;
  name: string;
  status: Status;
  detail: string;
  hint?: string;
}

const symbols: Record<Status, string> = { ok: '✔', warn: '‼', fail: '✘' };
const colours = { ok: 'green', warn: 'yellow', fail: 'red' } as const;

/** True when the command would go through the kubeconfig (no --server, env or server context). */
function throughKube(cli: Cli): boolean {
  if (cli.flags.server || cli.io.env.ORBITCTL_SERVER) return false;
  if (cli.flags.kubeconfig || cli.flags.context || cli.flags.namespace || cli.flags.release) return true;
  return !currentContext(readConfig(configPath(cli.io.env)), cli.io.env)?.server;
}

class Checks {
  readonly results: CheckResult[] = [];
  private readonly cli: Cli;
  constructor(cli: Cli) {
    this.cli = cli;
  }

  add(result: CheckResult) {
    this.results.push(result);
    const { cli } = this;
    if (cli.out.format === 'table') cli.progress(`${result.category}: ${result.name}…`);
    return result.status !== 'fail';
  }

  /** Runs one check; a thrown CliError is a failure with its hint. */
  async run(category: string, name: string, fn: () => Promise<Omit<CheckResult, 'category' | 'name'>>) {
    this.cli.progress(`${category}: ${name}…`);
    try {
      return this.add({ category, name, ...(await fn()) });
    } catch (err) {
      const e = err instanceof CliError ? err : new CliError(ExitCode.error, (err as Error).message, 'see the message above');
      return this.add({ category, name, status: 'fail', detail: e.message, hint: e.hint });
    }
  }
}

interface Workload {
  kind: 'Deployment' | 'StatefulSet';
  name: string;
  component: string;
  want: number;
  ready: number;
  spec: V1PodSpec | undefined;
}

/**
 * The Kubernetes steps: the API, the release's gateway Service, each workload's readiness, a
 * ready gateway pod, the Redis sentinels, MongoDB. True when a gateway pod is ready (the HTTP
 * steps follow).
 */
async function kubeChecks(cli: Cli, checks: Checks): Promise<boolean> {
  const kube = await import('../kube/cluster.ts');
  const { AppsV1Api, VersionApi } = await import('@kubernetes/client-node');
  let kc: KubeConfig | undefined;
  const target = { kubeconfig: cli.flags.kubeconfig, context: cli.flags.context, namespace: cli.flags.namespace, release: cli.flags.release ?? DEFAULT_RELEASE };
  const reachable = await checks.run('kubernetes', 'Kubernetes API reachable', async () => {
    kc = kube.loadKubeConfig(target);
    try {
      const version = await kc.makeApiClient(VersionApi).getCode();
      return { status: 'ok', detail: `${kc.getCurrentCluster()?.server} (${version.gitVersion})` };
    } catch (err) {
      throw kube.kubeError(err, 'reach the API server');
    }
  });
  if (!reachable || !kc) return false;
  const k = kc;
  const namespace = kube.namespaceOf(k, target);
  const category = `release ${target.release} in ${namespace}`;
  let service: V1Service | undefined;
  const found = await checks.run(category, 'release found', async () => {
    service = await kube.findGatewayService(k, namespace, target.release);
    return { status: 'ok', detail: `gateway Service ${service.metadata?.name}` };
  });
  if (!found || !service) return false;

  const selector = `${kube.labels.instance}=${target.release}`;
  let workloads: Workload[] = [];
  await checks.run(category, 'workloads listed', async () => {
    const apps = k.makeApiClient(AppsV1Api);
    try {
      const [deployments, statefulSets] = await Promise.all([apps.listNamespacedDeployment({ namespace, labelSelector: selector }), apps.listNamespacedStatefulSet({ namespace, labelSelector: selector })]);
      const of = (kind: Workload['kind'], w: V1Deployment | V1StatefulSet): Workload => ({
        kind,
        name: w.metadata?.name ?? '?',
        component: w.metadata?.labels?.[kube.labels.component] ?? '',
        want: w.spec?.replicas ?? 1,
        ready: w.status?.readyReplicas ?? 0,
        spec: w.spec?.template.spec,
      });
      workloads = [...deployments.items.map((d) => of('Deployment', d)), ...statefulSets.items.map((s) => of('StatefulSet', s))];
    } catch (err) {
      throw kube.kubeError(err, `list the workloads of ${target.release}`);
    }
    if (workloads.length === 0) return { status: 'fail', detail: `no Deployment or StatefulSet labelled ${selector}`, hint: 'check -n/--namespace and --release (`helm list -A`)' };
    return { status: 'ok', detail: `${workloads.length}: ${workloads.map((w) => w.component || w.name).join(', ')}` };
  });
  for (const w of workloads) {
    const ok = w.ready >= w.want;
    checks.add({
      category,
      name: `${w.kind} ${w.name} ready`,
      status: ok ? 'ok' : w.ready > 0 ? 'warn' : 'fail',
      detail: `${w.ready}/${w.want} ready`,
      ...(ok ? {} : { hint: `\`kubectl -n ${namespace} describe ${w.kind.toLowerCase()} ${w.name}\` and the events of its pods say why` }),
    });
  }
  const gatewayReady = await checks.run(category, 'gateway pod ready behind its Service', async () => {
    const endpoint = await kube.readyEndpoint(k, service!);
    return { status: 'ok', detail: `pod ${endpoint.pod}, port ${endpoint.port}` };
  });

  await checks.run('redis', 'master known to the sentinels, replicas in sync', () => redisCheck(cli, k, namespace, selector, workloads));
  await checks.run('mongodb', 'primary elected', () => mongoCheck(cli, k, namespace, selector, workloads));
  return gatewayReady;
}

/** Asks a sentinel of the release (port-forwarded) what chat would ask: about REDIS_MASTER_NAME's master. */
async function redisCheck(cli: Cli, kc: KubeConfig, namespace: string, selector: string, workloads: Workload[]): Promise<Omit<CheckResult, 'category' | 'name'>> {
  const kube = await import('../kube/cluster.ts');
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const chat = workloads.find((w) => w.component === 'chat');
  if (!chat) return { status: 'fail', detail: 'no chat Deployment in the release', hint: 'check the release: `helm status RELEASE`' };
  const env = new kube.WorkloadEnv(kc, namespace, chat.spec);
  const sentinels = await env.value('REDIS_SENTINELS');
  if (!sentinels) {
    if (await env.has('REDIS_URL')) return { status: 'warn', detail: 'chat uses a single Redis (REDIS_URL), no Sentinel: no failover', hint: 'enable Sentinel in the chart values for high availability' };
    return { status: 'warn', detail: 'chat has neither REDIS_SENTINELS nor REDIS_URL', hint: 'chat runs on its in-memory engine, one chat node only: set redis.enabled or externalRedis in the chart values' };
  }
  const masterName = (await env.value('REDIS_MASTER_NAME')) ?? 'mymaster';
  const redisSelector = `${selector},${kube.labels.component}=redis`;
  let pods: V1Pod[];
  try {
    pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: redisSelector })).items;
  } catch (err) {
    throw kube.kubeError(err, 'list the Redis pods');
  }
  const sentinelPort = (p: V1Pod) => (p.spec?.containers ?? []).flatMap((c) => c.ports ?? []).find((port) => port.name === 'sentinel');
  const ready = (p: V1Pod) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const candidates = pods.filter(sentinelPort).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  if (candidates.length === 0) {
    return { status: 'warn', detail: `the sentinels (${sentinels}) are not pods of the release: not checked from here`, hint: `ask them yourself: \`redis-cli -h HOST -p PORT sentinel master ${masterName}\`` };
  }
  const pod = candidates.find(ready);
  if (!pod) return { status: 'fail', detail: `no ready Redis pod with a sentinel (${candidates.length} pods, none ready)`, hint: `\`kubectl -n ${namespace} get pods -l ${redisSelector}\` and their events say why` };
  const podName = pod.metadata!.name!;
  const password = (await env.has('REDIS_SENTINEL_PASSWORD')) ? await env.secret('REDIS_SENTINEL_PASSWORD') : undefined;
  const forward = await kube.forwarderFor(kc, cli.io.env).open({ namespace, pod: podName, port: sentinelPort(pod)!.containerPort });
  try {
    const url = new URL(forward.url);
    const view = await askSentinel(url.hostname, Number(url.port), masterName, password).catch((err: unknown) => {
      const message = (err as Error).message;
      if (/NOAUTH|WRONGPASS|invalid password/i.test(message)) {
        throw new CliError(ExitCode.forbidden, `the sentinel on ${podName} refused the password: ${message}`, "check the chat Deployment's REDIS_SENTINEL_PASSWORD against the sentinels' requirepass");
      }
      throw new CliError(ExitCode.unreachable, `cannot ask the sentinel on ${podName}: ${message}`, 'check the Redis pods and their logs');
    });
    const result = sentinelResult(view);
    return { ...result, detail: `${result.detail}; asked the sentinel on ${podName} about ${masterName}` };
  } finally {
    await forward.close();
  }
}

/**
 * Asks a MongoDB member of the release (port-forwarded) `hello`, with the credential chat uses (its
 * MONGO_URL: the chart's service user, whose password is in the MongoDB Secret). Skipped for an
 * external MongoDB (no MongoDB StatefulSet in the release).
 */
async function mongoCheck(cli: Cli, kc: KubeConfig, namespace: string, selector: string, workloads: Workload[]): Promise<Omit<CheckResult, 'category' | 'name'>> {
  const kube = await import('../kube/cluster.ts');
  const { CoreV1Api } = await import('@kubernetes/client-node');
  if (!workloads.some((w) => w.component === 'mongodb')) {
    return { status: 'warn', detail: 'skipped: no MongoDB StatefulSet in the release (mongodb.enabled=false: an external MongoDB), not checked from here', hint: 'ask it yourself: `mongosh "$MONGO_URL" --eval "db.hello()"`' };
  }
  const chat = workloads.find((w) => w.component === 'chat');
  if (!chat) return { status: 'fail', detail: 'no chat Deployment in the release', hint: 'check the release: `helm status RELEASE`' };
  const env = new kube.WorkloadEnv(kc, namespace, chat.spec);
  let mongoUrl = await env.secret('MONGO_URL');
  if (!mongoUrl) return { status: 'fail', detail: 'chat has no MONGO_URL', hint: 'chat runs on its in-memory engine: check the chart values (mongodb.enabled)' };
  // The chart writes the password into MONGO_URL with Kubernetes' $(VAR) expansion.
  for (const name of new Set([...mongoUrl.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]!))) {
    const value = await env.secret(name);
    if (value !== undefined) mongoUrl = mongoUrl.replaceAll(`$(${name})`, value);
  }
  const credential = credentialOf(mongoUrl);
  const mongoSelector = `${selector},${kube.labels.component}=mongodb`;
  let pods: V1Pod[];
  try {
    pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: mongoSelector })).items;
  } catch (err) {
    throw kube.kubeError(err, 'list the MongoDB pods');
  }
  const mongoPort = (p: V1Pod) => (p.spec?.containers ?? []).flatMap((c) => c.ports ?? []).find((port) => port.name === 'mongodb');
  const ready = (p: V1Pod) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const candidates = pods.filter(mongoPort).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const readyPods = candidates.filter(ready);
  const logsHint = (pod = '<pod>') => `\`kubectl -n ${namespace} logs ${pod} -c mongod\`; check the replset container's log (\`-c replset\`), which forms the set`;
  if (readyPods.length === 0) return { status: 'fail', detail: `no ready MongoDB pod (${candidates.length} pods, none ready)`, hint: `\`kubectl -n ${namespace} get pods -l ${mongoSelector}\` and their events say why; ${logsHint(candidates[0]?.metadata?.name)}` };
  const firstReady = readyPods[0]!.metadata!.name!;
  const forwarder = kube.forwarderFor(kc, cli.io.env);
  let lastFailure: { status: 'ok' | 'fail'; detail: string } | undefined;
  const unreachable: string[] = [];
  // One member names the primary when it knows it; ask the next only when one cannot say.
  for (const pod of readyPods) {
    const podName = pod.metadata!.name!;
    const forward = await forwarder.open({ namespace, pod: podName, port: mongoPort(pod)!.containerPort });
    try {
      const url = new URL(forward.url);
      const view = await askHello(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port), credential);
      const result = helloResult(podName, view);
      if (result.status === 'ok') return result;
      lastFailure = result;
    } catch (err) {
      if (err instanceof MongoAuthError) {
        throw new CliError(ExitCode.forbidden, `MongoDB on ${podName} refused chat's credential (user ${credential?.username}): ${err.message}`, `check the \`password\` key of the MongoDB Secret against the user the replset container created (\`kubectl -n ${namespace} logs ${podName} -c replset\`)`);
      }
      unreachable.push(`${podName}: ${(err as Error).message}`);
    } finally {
      await forward.close();
    }
  }
  if (lastFailure) return { ...lastFailure, hint: `the replica set has no primary: ${logsHint(firstReady)}` };
  throw new CliError(ExitCode.unreachable, `cannot ask MongoDB: ${unreachable.join('; ')}`, `check the MongoDB pods and their logs: ${logsHint(firstReady)}`);
}

/** A sentinel's view as a check result. */
export function sentinelResult(view: Awaited<ReturnType<typeof askSentinel>>): Omit<CheckResult, 'category' | 'name'> {
  if (!view.master) return { status: 'fail', detail: 'the sentinels know no master by that name', hint: 'check REDIS_MASTER_NAME against the sentinels\' configuration' };
  if (/s_down|o_down/.test(view.masterFlags)) return { status: 'fail', detail: `master ${view.master.host}:${view.master.port} is down (${view.masterFlags})`, hint: 'a failover should follow within seconds; if not, check that a quorum of sentinels runs' };
  const broken = view.replicas.filter((r) => !r.linkOk);
  const offsets = view.replicas.map((r) => r.offset);
  const lag = offsets.length ? Math.max(...offsets) - Math.min(...offsets) : 0;
  const detail = `master ${view.master.host}:${view.master.port}, ${view.replicas.length} replicas, ${view.otherSentinels + 1} sentinels (quorum ${view.quorum})`;
  if (view.replicas.length === 0) return { status: 'warn', detail: `${detail}: no replica, no failover possible`, hint: 'run at least one Redis replica' };
  if (broken.length) return { status: 'warn', detail: `${detail}; out of sync: ${broken.map((r) => `${r.name} (${r.flags})`).join(', ')}`, hint: 'look at the replicas\' logs: their link to the master is down' };
  if (view.otherSentinels + 1 < view.quorum) return { status: 'fail', detail: `${detail}: fewer sentinels than the quorum`, hint: 'start more sentinels: no failover can be agreed' };
  return { status: 'ok', detail: `${detail}, replica offsets within ${lag} bytes` };
}

async function httpChecks(cli: Cli, checks: Checks) {
  const category = 'chatorbit';
  let api: Awaited<ReturnType<Cli['api']>> | undefined;
  const connected = await checks.run(category, 'gateway ready', async () => {
    api = await cli.api();
    const res = await fetch(`${api.server}/readyz`, { signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => {
      throw new CliError(ExitCode.unreachable, `cannot reach ${api!.server}: ${(err as Error).message}`, `check ${api!.source}`);
    });
    const body = (await res.json().catch(() => ({}))) as { status?: string; checks?: Record<string, string> };
    if (res.status === 200) return { status: 'ok', detail: `${api.server} (${api.source})` };
    const failing = Object.entries(body.checks ?? {}).filter(([, v]) => v !== 'ok').map(([k, v]) => `${k}: ${v}`);
    return { status: 'fail', detail: `/readyz answered ${res.status} ${body.status ?? ''}${failing.length ? ` (${failing.join(', ')})` : ''}`, hint: 'the services named are down or unreachable from the gateway: check their pods and logs' };
  });
  if (!connected || !api) return;
  const a = api;
  await checks.run(category, 'JWKS served', async () => {
    const jwks = await a.request<{ keys?: Array<{ kid?: string; alg?: string }> }>('GET', '/.well-known/jwks.json', { auth: false });
    const keys = jwks.keys ?? [];
    if (keys.length === 0) return { status: 'fail', detail: 'no keys', hint: 'auth has no signing key: check JWT_PRIVATE_KEY(_FILE) and its logs' };
    return { status: 'ok', detail: `${keys.length} key(s): ${keys.map((k) => `${k.kid} ${k.alg}`).join(', ')}` };
  });
  let token: string | undefined;
  const authed = await checks.run(category, 'operator token accepted', async () => {
    if (!a.authenticated) return { status: 'warn', detail: 'no token: authenticated checks skipped', hint: 'log in (`orbitctl login`) or pass --token for the WebSocket check' };
    const me = await a.get<{ username: string }>('/api/v1/users/me');
    token = a.bearer;
    return { status: 'ok', detail: `as ${me.username}` };
  });
  if (authed && token) await checks.run(category, 'WebSocket round trip through the gateway', () => webSocketRoundTrip(a.server, token!));
  await checks.run(category, 'metrics endpoint', async () => {
    const res = await fetch(`${a.server}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    if (res.status !== 200 || !text.includes('# HELP')) return { status: 'fail', detail: `/metrics answered ${res.status}`, hint: 'Prometheus cannot scrape the gateway: check the service\'s logs' };
    return { status: 'ok', detail: `${text.split('\n').filter((l) => l.startsWith('# TYPE')).length} metric families` };
  });
}

export const CHECK_ROOM = 'orbitctl-check';

/** Join a room, send a message, see it come back: through the gateway, like a viewer. */
export async function webSocketRoundTrip(server: string, token: string, timeoutMs = 10_000): Promise<Omit<CheckResult, 'category' | 'name'>> {
  const url = `${server.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`;
  const started = performance.now();
  const ws = new WebSocket(url);
  const nonce = `check-${Date.now().toString(36)}`;
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new CliError(ExitCode.unreachable, `no round trip within ${timeoutMs / 1000}s`, 'the chat nodes or Redis are slow or down: check the chat pods and Redis')), timeoutMs);
      let ackId: string | undefined;
      let echoed = new Set<string>();
      const finish = () => {
        if (ackId && echoed.has(ackId)) {
          clearTimeout(timer);
          resolve({ status: 'ok', detail: `joined ${CHECK_ROOM}, sent and received a message in ${Math.round(performance.now() - started)} ms` });
        }
      };
      ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'join', room: CHECK_ROOM })));
      ws.addEventListener('error', () => {
        clearTimeout(timer);
        reject(new CliError(ExitCode.unreachable, 'the WebSocket could not connect through the gateway', 'check the gateway\'s WebSocket proxy and the chat pods'));
      });
      ws.addEventListener('close', (event) => {
        clearTimeout(timer);
        reject(new CliError(ExitCode.error, `the socket was closed with ${event.code} ${event.reason}`, 'see docs/PROTOCOL.md for the close code'));
      });
      ws.addEventListener('message', (event) => {
        const frame = JSON.parse(String(event.data)) as { type: string; id?: string; nonce?: string; code?: string; message?: string; messages?: Array<{ id: string }> };
        if (frame.type === 'joined') ws.send(JSON.stringify({ type: 'send', room: CHECK_ROOM, text: 'orbitctl check', nonce }));
        else if (frame.type === 'ack' && frame.nonce === nonce) ackId = frame.id;
        else if (frame.type === 'message' && frame.id) echoed.add(frame.id);
        else if (frame.type === 'batch') echoed = new Set([...echoed, ...(frame.messages ?? []).map((m) => m.id)]);
        else if (frame.type === 'error') {
          clearTimeout(timer);
          reject(new CliError(ExitCode.error, `the server refused: ${frame.code} ${frame.message ?? ''}`, `the check user cannot send in ${CHECK_ROOM}: use an admin token`));
        }
        finish();
      });
    });
  } finally {
    ws.close();
  }
}

export function registerCheck({ program, io }: Registrar) {
  program
    .command('check')
    .summary('check the installation, step by step, like `linkerd check`')
    .description(
      'Through the kubeconfig: the Kubernetes API, the release, each Deployment/StatefulSet, the Redis sentinels; then, through the gateway: readiness, the JWKS, the operator token, a WebSocket round trip (a message in room orbitctl-check) and /metrics. With --server only the gateway checks run. Exit code: 0 when nothing failed (warnings allowed), 1 when a check failed, 5 when nothing could be reached.',
    )
    .action(
      act(io, async (cli) => {
        const checks = new Checks(cli);
        let reached = true;
        if (throughKube(cli)) reached = await kubeChecks(cli, checks);
        if (reached) await httpChecks(cli, checks);
        cli.clearProgress();
        const worst: Status = checks.results.some((r) => r.status === 'fail') ? 'fail' : checks.results.some((r) => r.status === 'warn') ? 'warn' : 'ok';
        const color = cli.out.color;
        const categories = [...new Set(checks.results.map((r) => r.category))];
        cli.print({ checks: checks.results, worst }, [
          ...categories.map((category) => ({
            lines: [
              category,
              '-'.repeat(category.length),
              ...checks.results
                .filter((r) => r.category === category)
                .flatMap((r) => [`${paint(color, colours[r.status], symbols[r.status])} ${r.name}: ${r.detail}`, ...(r.hint && r.status !== 'ok' ? [`    ${paint(color, 'dim', 'hint:')} ${r.hint}`] : [])]),
            ],
          })),
          { lines: [`Status check results are ${paint(color, colours[worst], symbols[worst])}`] },
        ]);
        const first = checks.results[0];
        if (first?.status === 'fail' && checks.results.length === 1) throw new CliError(ExitCode.unreachable, `${first.name}: ${first.detail}`, first.hint ?? 'see above');
        if (worst === 'fail') throw new CliError(ExitCode.error, `${checks.results.filter((r) => r.status === 'fail').length} check(s) failed`, 'fix the ✘ above, following each hint, then run `orbitctl check` again');
      }),
    );
}
