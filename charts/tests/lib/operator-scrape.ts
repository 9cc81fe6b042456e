// What the Prometheus Operator makes of the chart's ServiceMonitor and PodMonitor: the scrape job
// it generates (relabel_configs in its order), and the discovery labels Kubernetes service
// discovery gives each target. Mirrors generateServiceMonitorConfig / generatePodMonitorConfig of
// pkg/prometheus/promcfg.go in github.com/prometheus-operator/prometheus-operator v0.85.0 (the
// version of .ci/install-prometheus-operator-crds), limited to the fields the chart uses: label
// selector, port, path, honorLabels, relabelings, metricRelabelings. A real Prometheus then applies
// it to real targets (charts/tests/monitoring.test.ts).
import type { K8sObject, LabelSelector } from './helm.ts';

export interface RelabelConfig {
  sourceLabels?: string[];
  separator?: string;
  regex?: string;
  targetLabel?: string;
  replacement?: string;
  action?: string;
  modulus?: number;
}

export interface MonitorEndpoint {
  port: string;
  path?: string;
  honorLabels?: boolean;
  relabelings?: RelabelConfig[];
  metricRelabelings?: RelabelConfig[];
}

export interface Monitor extends K8sObject {
  kind: 'ServiceMonitor' | 'PodMonitor';
  spec: {
    selector: LabelSelector;
    endpoints?: MonitorEndpoint[];
    podMetricsEndpoints?: MonitorEndpoint[];
  };
}

/** One discovered target: its address and discovery (__meta_*) labels. */
export interface DiscoveredTarget {
  address: string;
  labels: Record<string, string>;
}

type PromRelabel = Record<string, unknown>;

const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

/** RelabelConfig of the CRD (camelCase) as Prometheus configuration (snake_case). */
export function toPrometheus(r: RelabelConfig): PromRelabel {
  const out: PromRelabel = {};
  if (r.sourceLabels) out.source_labels = r.sourceLabels;
  if (r.separator !== undefined) out.separator = r.separator;
  if (r.regex !== undefined) out.regex = r.regex;
  if (r.targetLabel !== undefined) out.target_label = r.targetLabel;
  if (r.replacement !== undefined) out.replacement = r.replacement;
  if (r.action !== undefined) out.action = r.action.toLowerCase();
  if (r.modulus !== undefined) out.modulus = r.modulus;
  return out;
}

/** The scrape config the operator generates for the monitor's first endpoint, with static targets. */
export function operatorScrapeConfig(monitor: Monitor, targets: DiscoveredTarget[], opts: { overrideHonorLabels?: boolean } = {}): Record<string, unknown> {
  const service = monitor.kind === 'ServiceMonitor';
  const ep = (service ? monitor.spec.endpoints : monitor.spec.podMetricsEndpoints)![0]!;
  const ns = monitor.metadata.namespace!;
  const meta = service ? 'service' : 'pod';
  const relabelings: PromRelabel[] = [{ source_labels: ['job'], target_label: '__tmp_prometheus_job_name' }];
  // The label selector, as keep/drop rules on the discovered object's labels.
  const selector = monitor.spec.selector;
  for (const k of Object.keys(selector.matchLabels ?? {}).sort()) {
    relabelings.push({ action: 'keep', source_labels: [`__meta_kubernetes_${meta}_label_${sanitize(k)}`, `__meta_kubernetes_${meta}_labelpresent_${sanitize(k)}`], regex: `(${selector.matchLabels![k]});true` });
  }
  for (const e of selector.matchExpressions ?? []) {
    const labels = [`__meta_kubernetes_${meta}_label_${sanitize(e.key)}`, `__meta_kubernetes_${meta}_labelpresent_${sanitize(e.key)}`];
    const present = [`__meta_kubernetes_${meta}_labelpresent_${sanitize(e.key)}`];
    if (e.operator === 'In') relabelings.push({ action: 'keep', source_labels: labels, regex: `(${e.values!.join('|')});true` });
    if (e.operator === 'NotIn') relabelings.push({ action: 'drop', source_labels: labels, regex: `(${e.values!.join('|')});true` });
    if (e.operator === 'Exists') relabelings.push({ action: 'keep', source_labels: present, regex: 'true' });
    if (e.operator === 'DoesNotExist') relabelings.push({ action: 'drop', source_labels: present, regex: 'true' });
  }
  // The endpoint's port, by name.
  relabelings.push({ action: 'keep', source_labels: [service ? '__meta_kubernetes_endpoint_port_name' : '__meta_kubernetes_pod_container_port_name'], regex: ep.port });
  relabelings.push({ source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' });
  if (service) {
    relabelings.push(
      { source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
      { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' },
      { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job', replacement: '${1}' },
    );
  } else {
    relabelings.push(
      { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' },
      { target_label: 'job', replacement: `${ns}/${monitor.metadata.name}` },
    );
  }
  relabelings.push({ target_label: 'endpoint', replacement: ep.port });
  // Then the monitor's own.
  relabelings.push(...(ep.relabelings ?? []).map(toPrometheus));
  return {
    job_name: `${service ? 'serviceMonitor' : 'podMonitor'}/${ns}/${monitor.metadata.name}/0`,
    honor_labels: opts.overrideHonorLabels ? false : (ep.honorLabels ?? false),
    metrics_path: ep.path ?? '/metrics',
    static_configs: targets.map((t) => ({ targets: [t.address], labels: t.labels })),
    relabel_configs: relabelings,
    ...(ep.metricRelabelings ? { metric_relabel_configs: ep.metricRelabelings.map(toPrometheus) } : {}),
  };
}

const labelMeta = (kind: 'service' | 'pod', labels: Record<string, string>) =>
  Object.fromEntries(Object.entries(labels).flatMap(([k, v]) => [[`__meta_kubernetes_${kind}_label_${sanitize(k)}`, v], [`__meta_kubernetes_${kind}_labelpresent_${sanitize(k)}`, 'true']]));

/**
 * What endpoints discovery reports for one port of a Service backed by one pod (the pod's name and
 * container are made up; the Service's labels and port name are the rendered ones).
 */
export function serviceTarget(svc: K8sObject, portName: string, address: string, pod: { name: string; container: string; labels: Record<string, string> }): DiscoveredTarget {
  return {
    address,
    labels: {
      __meta_kubernetes_namespace: svc.metadata.namespace!,
      __meta_kubernetes_service_name: svc.metadata.name,
      ...labelMeta('service', svc.metadata.labels ?? {}),
      __meta_kubernetes_endpoint_port_name: portName,
      __meta_kubernetes_pod_name: pod.name,
      __meta_kubernetes_pod_container_name: pod.container,
      __meta_kubernetes_pod_phase: 'Running',
      ...labelMeta('pod', pod.labels),
    },
  };
}

/** What pod discovery reports for one container port of a pod. */
export function podTarget(namespace: string, pod: { name: string; labels: Record<string, string> }, container: string, portName: string, address: string): DiscoveredTarget {
  return {
    address,
    labels: {
      __meta_kubernetes_namespace: namespace,
      __meta_kubernetes_pod_name: pod.name,
      ...labelMeta('pod', pod.labels),
      __meta_kubernetes_pod_container_name: container,
      __meta_kubernetes_pod_container_port_name: portName,
      __meta_kubernetes_pod_phase: 'Running',
    },
  };
}
