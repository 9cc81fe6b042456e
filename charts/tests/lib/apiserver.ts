// A real Kubernetes API server on loopback for tests: Debian's etcd and kube-apiserver built from
// the k8s.io/kubernetes module (.ci/install-kube-apiserver), a static token with system:masters,
// a service-account key pair made here. No kubelet, scheduler or controller-manager runs: objects
// are validated and admitted, but no pod ever starts and no controller acts on anything.
// Shared: the chart's tests (charts/tests) and orbitctl's Kubernetes tests (cli/src) use it.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@chatorbit/shared/testing';
import { tools } from './tools.ts';

export interface ApiServer {
  url: string;
  /** A kubeconfig file for helm and kubectl (cluster-admin through the token). */
  kubeconfig: string;
  api: ApiClient;
  /** The tail of etcd's and kube-apiserver's output, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

export interface ApiClient {
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  get<T = unknown>(path: string): Promise<T>;
  /** Every object of every namespaced resource type in the namespace, as "Kind/name". */
  listNamespace(namespace: string): Promise<string[]>;
}

interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

const children = new Set<ChildProcess>();
// Should the test process end without stop() (a crash, a timeout kill), take the servers along.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function launch(bin: string, args: string[]): Child {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('close', () => children.delete(child));
  let output = '';
  const collect = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return { process: child, output: () => output, exited };
}

async function stopChild(c: Child | undefined): Promise<void> {
  if (!c || c.process.exitCode !== null || c.process.signalCode !== null) return;
  c.process.kill('SIGTERM');
  const timer = setTimeout(() => c.process.kill('SIGKILL'), 10_000);
  await c.exited;
  clearTimeout(timer);
}

/**
 * Why startApiServer() cannot run on this machine (etcd or kube-apiserver missing, with the
 * command that installs it), or undefined when it can. For tests that skip rather than fail.
 */
export function apiServerMissing(): string | undefined {
  try {
    tools.onPath('etcd', 'etcd-server');
    tools.kubernetesDir();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export async function startApiServer(): Promise<ApiServer> {
  const etcdBin = tools.onPath('etcd', 'etcd-server');
  const apiserverBin = join(tools.kubernetesDir(), 'kube-apiserver');
  const dir = mkdtempSync(join(tmpdir(), 'chatorbit-apiserver-'));
  let etcd: Child | undefined;
  let apiserver: Child | undefined;
  const logs = () => `--- etcd ---\n${etcd?.output() ?? ''}\n--- kube-apiserver ---\n${apiserver?.output() ?? ''}`;
  const stop = async () => {
    await stopChild(apiserver);
    await stopChild(etcd);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [etcdPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    etcd = launch(etcdBin, [
      '--name', 'test', '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `test=http://127.0.0.1:${peerPort}`,
      '--logger', 'zap', '--log-level', 'warn',
    ]);
    await waitFor(
      async () => {
        if (etcd!.process.exitCode !== null) throw new Error(`etcd exited\n${logs()}`);
        const res = await fetch(`${etcdUrl}/health`);
        return res.ok && ((await res.json()) as { health: string }).health === 'true';
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'etcd to be healthy' },
    );

    // Service-account tokens are signed with this key (the API server refuses to start without one).
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`);
    apiserver = launch(apiserverBin, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${securePort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--enable-priority-and-fairness=false',
    ]);
    const url = `https://127.0.0.1:${securePort}`;
    let ca: Buffer | undefined;
    const api = client(url, token, () => ca);
    await waitFor(
      async () => {
        if (apiserver!.process.exitCode !== null) throw new Error(`kube-apiserver exited\n${logs()}`);
        // The self-signed serving certificate (and its CA) appear in cert-dir at start-up.
        ca ??= readFileSync(join(dir, 'certs/apiserver.crt'));
        const res = await api.request('GET', '/readyz');
        return res.status === 200;
      },
      { timeoutMs: 90_000, intervalMs: 250, message: 'kube-apiserver to be ready' },
    );
    // The bootstrap controllers of the API server itself create these; wait for them.
    await waitFor(async () => (await api.request('GET', '/api/v1/namespaces/default')).status === 200, {
      timeoutMs: 30_000, intervalMs: 250, message: 'the default namespace',
    });

    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: url, 'certificate-authority': join(dir, 'certs/apiserver.crt') } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
      'current-context': 'test',
    }), { mode: 0o600 });
    return { url, kubeconfig, api, logs, stop };
  } catch (err) {
    const message = `${(err as Error).message}\n${logs()}`;
    await stop();
    throw new Error(message, { cause: err });
  }
}

function client(base: string, token: string, ca: () => Buffer | undefined): ApiClient {
  const req = <T>(method: string, path: string, body?: unknown) =>
    new Promise<ApiResponse<T>>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const r = request(
        new URL(path, base),
        {
          method,
          ca: ca(),
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON (e.g. /readyz answers "ok")
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
        },
      );
      r.on('timeout', () => r.destroy(new Error(`${method} ${path} timed out`)));
      r.on('error', reject);
      r.end(payload);
    });

  const get = async <T>(path: string) => {
    const res = await req<T>('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  return {
    request: req,
    get,
    async listNamespace(namespace) {
      interface ResourceList { groupVersion: string; resources: { name: string; namespaced: boolean; verbs: string[]; kind: string }[] }
      const groupVersions = ['v1'];
      const groups = await get<{ groups: { preferredVersion: { groupVersion: string } }[] }>('/apis');
      for (const g of groups.groups) groupVersions.push(g.preferredVersion.groupVersion);
      const found: string[] = [];
      for (const gv of groupVersions) {
        const prefix = gv === 'v1' ? '/api/v1' : `/apis/${gv}`;
        const list = await get<ResourceList>(prefix);
        for (const r of list.resources) {
          if (!r.namespaced || r.name.includes('/') || !r.verbs.includes('list')) continue;
          // Events are records of what happened, not objects left behind.
          if (r.kind === 'Event') continue;
          const items = await get<{ items: { metadata: { name: string } }[] }>(`${prefix}/namespaces/${namespace}/${r.name}`);
          for (const item of items.items) found.push(`${r.kind}/${item.metadata.name}`);
        }
      }
      return found.sort();
    },
  };
}
