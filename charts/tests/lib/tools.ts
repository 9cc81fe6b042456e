// Where the chart tests find their tools. `.ci/run` builds and caches them (see .ci/install-*);
// a missing one is named with the command that provides it.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CHART = join(REPO, 'charts/chatorbit');
const CACHE = join(homedir(), '.cache/chatorbit');

// Keep in step with the versions in .ci/install-*.
export const KUBERNETES_VERSION = '1.34.2';
const HELM_VERSION = 'v3.22.0';
const KUBECONFORM_VERSION = 'v0.8.0';
const GATEWAY_API_VERSION = 'v1.4.0';
const PROMETHEUS_OPERATOR_VERSION = 'v0.85.0';

function cached(envVar: string, path: string, installer: string): string {
  const bin = process.env[envVar] || path;
  if (!existsSync(bin)) throw new Error(`${bin} not found: run \`bash .ci/${installer}\` (or set ${envVar})`);
  return bin;
}

export const tools = {
  helm: () => cached('HELM_BIN', join(CACHE, `helm-${HELM_VERSION}/helm`), 'install-helm'),
  kubeconform: () => cached('KUBECONFORM_BIN', join(CACHE, `kubeconform-${KUBECONFORM_VERSION}/kubeconform`), 'install-kubeconform'),
  /** Holds kube-apiserver and the OpenAPI v2 document (swagger.json) of the same release. */
  kubernetesDir: () => dirname(cached('KUBE_APISERVER_BIN', join(CACHE, `kube-apiserver-v${KUBERNETES_VERSION}/kube-apiserver`), 'install-kube-apiserver')),
  gatewayApiCrds: () => dirname(cached('GATEWAY_API_CRDS_DIR', join(CACHE, `gateway-api-${GATEWAY_API_VERSION}/gateway.networking.k8s.io_httproutes.yaml`), 'install-gateway-api-crds')),
  /** ServiceMonitor, PodMonitor and PrometheusRule CRDs of the Prometheus Operator. */
  prometheusOperatorCrds: () => {
    const dir = process.env.PROMETHEUS_OPERATOR_CRDS_DIR || join(CACHE, `prometheus-operator-crds-${PROMETHEUS_OPERATOR_VERSION}`);
    if (!existsSync(join(dir, 'monitoring.coreos.com_servicemonitors.yaml'))) {
      throw new Error(`no Prometheus Operator CRDs in ${dir}: run \`bash .ci/install-prometheus-operator-crds\` (or set PROMETHEUS_OPERATOR_CRDS_DIR)`);
    }
    return dir;
  },
  onPath: (name: string, aptPackage: string) => {
    const bin = findOnPath(name);
    if (!bin) throw new Error(`${name} not found on PATH: apt-get install ${aptPackage}`);
    return bin;
  },
};

export function findOnPath(name: string): string | undefined {
  return (process.env.PATH ?? '').split(delimiter).map((d) => join(d, name)).find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never rejects on a non-zero exit (the caller looks at `code`). */
export async function run(bin: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<RunResult> {
  if (opts.input === undefined) {
    try {
      const { stdout, stderr } = await execFileAsync(bin, args, { env: opts.env ?? process.env, cwd: opts.cwd, maxBuffer: 256 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
    }
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input);
  });
}

/** Like run(), but rejects with the command's output when it fails. */
export async function runOk(bin: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<string> {
  const result = await run(bin, args, opts);
  if (result.code !== 0) {
    throw new Error(`${bin} ${args.join(' ')} exited with ${result.code}\n${result.stderr}\n${result.stdout}`.trim());
  }
  return result.stdout;
}
