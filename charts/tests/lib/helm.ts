// Rendering the chart with the real helm binary, and the rendered objects as typed values.
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CHART, KUBERNETES_VERSION, run, tools, type RunResult } from './tools.ts';

/** The values sets every render check runs on: the defaults and the files under charts/chatorbit/ci. */
export const VALUES_SETS: Record<string, string[]> = {
  defaults: [],
  production: [join(CHART, 'ci/production-values.yaml')],
  external: [join(CHART, 'ci/external-values.yaml')],
  'external-secrets': [join(CHART, 'ci/external-secrets-values.yaml')],
  everything: [join(CHART, 'ci/everything-values.yaml')],
  'k8s/dev': [join(CHART, '../../k8s/dev-values.yaml')],
  // The dev values with the monitoring hooks, as the README installs them next to kube-prometheus-stack.
  'k8s/dev+monitoring': [join(CHART, '../../k8s/dev-values.yaml'), join(CHART, '../../k8s/monitoring-values.yaml')],
};

export interface RenderOptions {
  release?: string;
  namespace?: string;
  set?: string[];
}

export function templateArgs(valuesFiles: string[], opts: RenderOptions = {}): string[] {
  return [
    'template', opts.release ?? 'orbit', CHART,
    '--namespace', opts.namespace ?? 'chat',
    '--kube-version', KUBERNETES_VERSION,
    ...valuesFiles.flatMap((f) => ['--values', f]),
    ...(opts.set ?? []).flatMap((s) => ['--set', s]),
  ];
}

export function helmTemplateRaw(valuesFiles: string[], opts: RenderOptions = {}): Promise<RunResult> {
  return run(tools.helm(), templateArgs(valuesFiles, opts));
}

export async function helmTemplate(valuesFiles: string[], opts: RenderOptions = {}): Promise<{ yaml: string; objects: K8sObject[] }> {
  const result = await helmTemplateRaw(valuesFiles, opts);
  if (result.code !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return { yaml: result.stdout, objects: parseObjects(result.stdout) };
}

export function parseObjects(yaml: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(yaml)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

// The parts of Kubernetes objects the tests look at.
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
  tcpSocket?: { port: string | number };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: SecurityContext;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  configMap?: { name: string };
  emptyDir?: Record<string, unknown>;
  persistentVolumeClaim?: { claimName: string };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  securityContext?: SecurityContext;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  imagePullSecrets?: { name: string }[];
  topologySpreadConstraints?: { topologyKey: string; labelSelector: LabelSelector }[];
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplate;
    serviceName?: string;
    volumeClaimTemplates?: { metadata: { name: string } }[];
  };
}

export const isWorkload = (o: K8sObject): o is Workload => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind);

export function matches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'In' && !(has && e.values?.includes(labels[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && e.values?.includes(labels[e.key]!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export function find<T extends K8sObject = K8sObject>(objects: K8sObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the render (have: ${objects.filter((o) => o.kind === kind).map((o) => o.metadata.name).join(', ')})`);
  return found as T;
}

export function allContainers(pod: PodSpec): Container[] {
  return [...(pod.initContainers ?? []), ...pod.containers];
}
