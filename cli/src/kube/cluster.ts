import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { CoreV1Api, KubeConfig, PortForward, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { CliError, ExitCode } from '../errors.ts';

/**
 * How orbitctl finds a Helm release of ChatOrbit. ASSUMPTION shared with the chart: every object
 * carries the standard labels `app.kubernetes.io/instance=<release>` and
 * `app.kubernetes.io/component=<gateway|auth|user|chat|redis|mongodb>`; the gateway Service has a
 * port named `http` (else its first port); the operator credential is a Secret of the release with
 * the keys ADMIN_USERNAME and ADMIN_PASSWORD (what auth reads).
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
  if (!kc.getCurrentCluster()) {
    throw new CliError(ExitCode.unreachable, 'no Kubernetes cluster configured (no kubeconfig, or no current context)', 'give the gateway with --server URL (or ORBITCTL_SERVER), or point --kubeconfig / KUBECONFIG at a cluster');
  }
  return kc;
}

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

const isReady = (pod: V1Pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The release's gateway Service, found by its labels, and a ready pod behind it. */
export async function findGateway(kc: KubeConfig, namespace: string, release: string): Promise<Gateway> {
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
  const ports = service.spec?.ports ?? [];
  const port = ports.find((p) => p.name === 'http') ?? ports[0];
  const podSelector = Object.entries(service.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  if (!port || !podSelector) throw new CliError(ExitCode.error, `Service ${service.metadata?.name} has no port or no selector`, 'check the chart\'s gateway Service');
  let pods: V1Pod[];
  try {
    pods = (await core.listNamespacedPod({ namespace, labelSelector: podSelector })).items;
  } catch (err) {
    throw kubeError(err, `list pods in ${namespace}`);
  }
  const pod = pods.find(isReady);
  if (!pod) {
    throw new CliError(ExitCode.unreachable, `no ready gateway pod behind Service ${service.metadata?.name} (${pods.length} pods)`, `\`kubectl -n ${namespace} get pods -l ${podSelector}\` and \`orbitctl check\` show why`);
  }
  const target = port.targetPort ?? port.port;
  const containerPort =
    typeof target === 'number' || /^\d+$/.test(String(target))
      ? Number(target)
      : (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []).find((p) => p.name === target)?.containerPort;
  if (!containerPort) throw new CliError(ExitCode.error, `gateway pod ${pod.metadata?.name} has no port named ${String(target)}`, 'check the chart\'s gateway Deployment');
  return { namespace, service: service.metadata!.name!, pod: pod.metadata!.name!, port: containerPort };
}

export interface Credential {
  username: string;
  password: string;
  secret: string;
}

/** The release's operator credential: the Secret with ADMIN_USERNAME and ADMIN_PASSWORD. */
export async function readOperatorCredential(kc: KubeConfig, namespace: string, release: string): Promise<Credential | undefined> {
  const core = kc.makeApiClient(CoreV1Api);
  let secrets;
  try {
    secrets = (await core.listNamespacedSecret({ namespace, labelSelector: `${labels.instance}=${release}` })).items;
  } catch (err) {
    const failure = kubeError(err, `read the Secrets of ${release}`);
    if (failure.exitCode === ExitCode.forbidden) return undefined; // not allowed: log in instead
    throw failure;
  }
  for (const secret of secrets) {
    const data = secret.data ?? {};
    const username = data.ADMIN_USERNAME ?? data['admin-username'];
    const password = data.ADMIN_PASSWORD ?? data['admin-password'];
    if (username && password) {
      const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
      return { username: decode(username), password: decode(password), secret: secret.metadata?.name ?? '?' };
    }
  }
  return undefined;
}

/**
 * Port-forwarding through the API server, as `kubectl port-forward` does: a loopback listener
 * whose every connection is a port-forward stream to the pod. Not exercised by the tests (no
 * kubelet runs here); everything around it is.
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
