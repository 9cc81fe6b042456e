import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  PortForward,
  type V1Deployment,
  type V1EndpointSlice,
  type V1EnvVar,
  type V1PodSpec,
  type V1Service,
} from '@kubernetes/client-node';
import { CliError, ExitCode } from '../errors.ts';

/**
 * How orbitctl finds a Helm release of ChatOrbit (charts/chatorbit; the Kubernetes tests install
 * the chart itself into a real API server): every object carries the labels
 * `app.kubernetes.io/instance=<release>` and `app.kubernetes.io/component=<gateway|auth|user|chat|redis|mongodb>`;
 * the gateway Service has a port named `http`, and its EndpointSlices name the ready pods; the
 * operator credential is what the auth Deployment gets as ADMIN_USERNAME and ADMIN_PASSWORD
 * (the admin Secret's keys `username` and `password`); the Redis pods have a container port
 * named `sentinel`.
 */
export const labels = {
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
} as const;

export interface KubeTarget {
  kubeconfig?: string;
  /** The kubeconfig context; default: its current context. */
  context?: string;
  /** Default: the context's namespace, else `default`. */
  namespace?: string;
  release: string;
}

export interface Gateway {
  namespace: string;
  service: string;
  pod: string;
  /** The pod's port behind the Service's http port. */
  port: number;
}

/** Opens a local URL that reaches a pod's port. Narrow on purpose: tests substitute one. */
export interface Forwarder {
  open(target: { namespace: string; pod: string; port: number }): Promise<{ url: string; close(): Promise<void> }>;
}

/** Loads the kubeconfig as kubectl does: --kubeconfig, else $KUBECONFIG, else ~/.kube/config. */
export function loadKubeConfig(target: Pick<KubeTarget, 'kubeconfig' | 'context'>): KubeConfig {
  const kc = new KubeConfig();
  // With nothing to load, the client would make up a cluster at http://localhost:8080.
  const inCluster = process.env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
  if (!target.kubeconfig && !process.env.KUBECONFIG && !existsSync(join(homedir(), '.kube', 'config')) && !inCluster) throw noCluster();
  try {
    if (target.kubeconfig) kc.loadFromFile(target.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new CliError(ExitCode.unreachable, `cannot load the kubeconfig${target.kubeconfig ? ` ${target.kubeconfig}` : ''}: ${(err as Error).message}`, 'pass --kubeconfig PATH (or set KUBECONFIG), or skip Kubernetes with --server URL');
  }
  if (target.context) {
    if (!kc.getContexts().some((c) => c.name === target.context)) {
      throw new CliError(ExitCode.notFound, `context "${target.context}" not in the kubeconfig`, `\`kubectl config get-contexts\` lists them; pass one of those to --context`);
    }
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentCluster()) throw noCluster();
  return kc;
}

const noCluster = () =>
  new CliError(ExitCode.unreachable, 'no Kubernetes cluster configured (no kubeconfig, or no current context)', 'give the gateway with --server URL (or ORBITCTL_SERVER), or point --kubeconfig / KUBECONFIG at a cluster');

export const namespaceOf = (kc: KubeConfig, target: KubeTarget) => target.namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';

/** Maps a Kubernetes API failure to an exit code and a hint. */
export function kubeError(err: unknown, what: string): CliError {
  if (err instanceof CliError) return err;
  const code = (err as { code?: number }).code;
  const message = (err as Error).message?.split('\n')[0] ?? String(err);
  if (code === 401 || code === 403) return new CliError(ExitCode.forbidden, `Kubernetes refused to ${what} (${code})`, 'your kubeconfig user needs get/list on services, pods, secrets and deployments in that namespace (and create on pods/portforward)');
  if (code === 404) return new CliError(ExitCode.notFound, `Kubernetes: not found while trying to ${what}`, 'check -n/--namespace and --release');
  if (typeof code !== 'number') return new CliError(ExitCode.unreachable, `cannot reach the Kubernetes API to ${what}: ${message}`, 'check the cluster is up and your kubeconfig context (`kubectl cluster-info`)');
  return new CliError(ExitCode.error, `Kubernetes API error while trying to ${what}: ${message}`, 'try again; `orbitctl check` shows what is wrong');
}

/** The release's gateway Service, found by its labels. */
export async function findGatewayService(kc: KubeConfig, namespace: string, release: string): Promise<V1Service> {
  const core = kc.makeApiClient(CoreV1Api);
  const selector = `${labels.instance}=${release},${labels.component}=gateway`;
  let services: V1Service[];
  try {
    services = (await core.listNamespacedService({ namespace, labelSelector: selector })).items;
  } catch (err) {
    throw kubeError(err, `list services in ${namespace}`);
  }
  const service = services[0];
  if (!service) {
    throw new CliError(ExitCode.notFound, `no ChatOrbit release "${release}" in namespace ${namespace} (no Service labelled ${selector})`, '`helm list -A` shows the releases: pass --release NAME and -n NAMESPACE');
  }
  return service;
}

/**
 * A ready pod behind a Service and the pod's port behind the Service's port `portName` (else
 * its first), from the Service's EndpointSlices: what the cluster itself routes to.
 */
export async function readyEndpoint(kc: KubeConfig, service: V1Service, portName = 'http'): Promise<{ pod: string; port: number }> {
  const namespace = service.metadata!.namespace!;
  const name = service.metadata!.name!;
  const ports = service.spec?.ports ?? [];
  const servicePort = ports.find((p) => p.name === portName) ?? ports[0];
  if (!servicePort) throw new CliError(ExitCode.error, `Service ${name} has no port`, "check the chart's gateway Service");
  let slices: V1EndpointSlice[];
  try {
    slices = (await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${name}` })).items;
  } catch (err) {
    throw kubeError(err, `list the EndpointSlices of Service ${name}`);
  }
  let total = 0;
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === (servicePort.name ?? ''))?.port;
    for (const endpoint of slice.endpoints ?? []) {
      total++;
      // Kubernetes: an unset `ready` is to be taken as ready.
      const ready = endpoint.conditions?.ready !== false && endpoint.conditions?.terminating !== true;
      if (ready && port && endpoint.targetRef?.kind === 'Pod' && endpoint.targetRef.name) return { pod: endpoint.targetRef.name, port };
    }
  }
  const selector = Object.entries(service.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  throw new CliError(
    ExitCode.unreachable,
    `no ready gateway pod behind Service ${name} (${total === 0 ? 'no endpoints' : `${total} endpoint(s), none ready`})`,
    `\`kubectl -n ${namespace} get pods -l ${selector}\` and \`orbitctl check -n ${namespace}\` show why`,
  );
}

/** The release's gateway Service, found by its labels, and a ready pod behind it. */
export async function findGateway(kc: KubeConfig, namespace: string, release: string): Promise<Gateway> {
  const service = await findGatewayService(kc, namespace, release);
  const { pod, port } = await readyEndpoint(kc, service);
  return { namespace, service: service.metadata!.name!, pod, port };
}

/** A workload's Deployment or StatefulSet of the release, by its component label. */
export async function findDeployment(kc: KubeConfig, namespace: string, release: string, component: string): Promise<V1Deployment | undefined> {
  try {
    const list = await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace, labelSelector: `${labels.instance}=${release},${labels.component}=${component}` });
    return list.items[0];
  } catch (err) {
    throw kubeError(err, `list the Deployments of ${release}`);
  }
}

/**
 * The environment a pod template's containers get, as far as the API tells it: `env` entries
 * (values, ConfigMap and Secret keys) before `envFrom` ConfigMaps, as the kubelet does. Secrets
 * are read only when asked for (`secret`).
 */
export class WorkloadEnv {
  private readonly kc: KubeConfig;
  private readonly namespace: string;
  private readonly entries: V1EnvVar[];
  private readonly fromConfigMaps: Array<{ name: string; prefix: string; optional: boolean }>;
  private configMaps?: Promise<Map<string, string>>;

  constructor(kc: KubeConfig, namespace: string, spec: V1PodSpec | undefined) {
    this.kc = kc;
    this.namespace = namespace;
    const containers = spec?.containers ?? [];
    this.entries = containers.flatMap((c) => c.env ?? []);
    this.fromConfigMaps = containers.flatMap((c) => (c.envFrom ?? []).filter((e) => e.configMapRef?.name).map((e) => ({ name: e.configMapRef!.name!, prefix: e.prefix ?? '', optional: e.configMapRef!.optional === true })));
  }

  private core() {
    return this.kc.makeApiClient(CoreV1Api);
  }

  private fromMaps(): Promise<Map<string, string>> {
    this.configMaps ??= (async () => {
      const values = new Map<string, string>();
      for (const ref of this.fromConfigMaps) {
        try {
          const map = await this.core().readNamespacedConfigMap({ namespace: this.namespace, name: ref.name });
          for (const [k, v] of Object.entries(map.data ?? {})) if (!values.has(ref.prefix + k)) values.set(ref.prefix + k, v);
        } catch (err) {
          if (ref.optional && (err as { code?: number }).code === 404) continue;
          throw kubeError(err, `read ConfigMap ${ref.name}`);
        }
      }
      return values;
    })();
    return this.configMaps;
  }

  /** Whether the variable is set at all (also from a Secret). */
  async has(name: string): Promise<boolean> {
    return this.entries.some((e) => e.name === name) || (await this.fromMaps()).has(name);
  }

  /** A plain value or a ConfigMap's; undefined for an unset variable or one from a Secret. */
  async value(name: string): Promise<string | undefined> {
    const entry = this.entries.find((e) => e.name === name);
    if (entry) {
      if (entry.value !== undefined) return entry.value;
      const ref = entry.valueFrom?.configMapKeyRef;
      if (!ref?.name) return undefined;
      try {
        return (await this.core().readNamespacedConfigMap({ namespace: this.namespace, name: ref.name })).data?.[ref.key];
      } catch (err) {
        throw kubeError(err, `read ConfigMap ${ref.name}`);
      }
    }
    return (await this.fromMaps()).get(name);
  }

  /** Where a variable comes from when it is a Secret's key. */
  secretRef(name: string): { name: string; key: string } | undefined {
    const ref = this.entries.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
    return ref?.name ? { name: ref.name, key: ref.key } : undefined;
  }

  /** A variable's value, reading its Secret if it comes from one. */
  async secret(name: string): Promise<string | undefined> {
    const ref = this.secretRef(name);
    if (!ref) return this.value(name);
    return readSecretKey(this.kc, this.namespace, ref.name, ref.key);
  }
}

export async function readSecretKey(kc: KubeConfig, namespace: string, name: string, key: string): Promise<string | undefined> {
  let secret;
  try {
    secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace, name });
  } catch (err) {
    throw kubeError(err, `read Secret ${name}`);
  }
  const data = secret.data?.[key];
  return data === undefined ? secret.stringData?.[key] : Buffer.from(data, 'base64').toString('utf8');
}

export interface Credential {
  username: string;
  password: string;
  /** Where it was read: "Secret <name>", or "Deployment <name>" for plain values. */
  source: string;
}

/**
 * The release's operator credential: what its auth Deployment gets as ADMIN_USERNAME and
 * ADMIN_PASSWORD, read from there (the chart's admin Secret with `username` and `password`, or
 * the Secret of `auth.admin.existingSecret` and its keys). Undefined when there is none (the
 * first admin turned off), or when the kubeconfig's user may not read it: log in instead.
 */
export async function readOperatorCredential(kc: KubeConfig, namespace: string, release: string): Promise<Credential | undefined> {
  try {
    const auth = await findDeployment(kc, namespace, release, 'auth');
    if (!auth) return undefined;
    const env = new WorkloadEnv(kc, namespace, auth.spec?.template.spec);
    const [username, password] = await Promise.all([env.secret('ADMIN_USERNAME'), env.secret('ADMIN_PASSWORD')]);
    if (!username || !password) return undefined;
    const secret = env.secretRef('ADMIN_PASSWORD')?.name;
    return { username, password, source: secret ? `Secret ${secret}` : `Deployment ${auth.metadata?.name}` };
  } catch (err) {
    if (err instanceof CliError && err.exitCode === ExitCode.forbidden) return undefined; // not allowed: log in instead
    throw err;
  }
}

/**
 * ORBITCTL_PORT_FORWARD_URL, a debugging and test hook that replaces the port-forward: either one
 * URL every forward goes to (your own `kubectl port-forward` of the gateway), or comma-separated
 * `POD:PORT=URL` entries, one per pod port orbitctl forwards to (the gateway's, a sentinel's),
 * optionally with a bare URL for any other.
 */
export class UrlForwarder implements Forwarder {
  private readonly byTarget = new Map<string, string>();
  private readonly fallback: string | undefined;

  constructor(spec: string) {
    let fallback: string | undefined;
    for (const entry of spec.split(',').map((e) => e.trim()).filter(Boolean)) {
      const match = /^([a-z0-9.-]+:\d+)=(.+)$/.exec(entry);
      if (match) this.byTarget.set(match[1]!, match[2]!);
      else fallback = entry;
    }
    this.fallback = fallback;
  }

  async open(target: { namespace: string; pod: string; port: number }) {
    const url = this.byTarget.get(`${target.pod}:${target.port}`) ?? this.fallback;
    if (!url) {
      throw new CliError(ExitCode.usage, `ORBITCTL_PORT_FORWARD_URL has no URL for ${target.pod}:${target.port}`, `add ${target.pod}:${target.port}=URL to it, or unset it to port-forward through the API server`);
    }
    return { url, close: async () => {} };
  }
}

export const forwarderFor = (kc: KubeConfig, env: NodeJS.ProcessEnv): Forwarder => (env.ORBITCTL_PORT_FORWARD_URL ? new UrlForwarder(env.ORBITCTL_PORT_FORWARD_URL) : new KubeForwarder(kc));

/**
 * Port-forwarding through the API server, as `kubectl port-forward` does: a loopback listener
 * whose every connection is a port-forward stream to the pod. Not exercised by the tests: no
 * kubelet runs in them, so nothing could answer at the pod's end (they use UrlForwarder);
 * everything around it runs against a real API server.
 */
export class KubeForwarder implements Forwarder {
  private readonly kc: KubeConfig;
  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  async open(target: { namespace: string; pod: string; port: number }) {
    const forward = new PortForward(this.kc);
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      forward.portForward(target.namespace, target.pod, [target.port], socket, null, socket).catch(() => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    };
  }
}
