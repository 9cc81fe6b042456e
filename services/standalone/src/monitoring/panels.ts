// Reading the shipped dashboards (monitoring/dashboards/*.json) for tests.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const dashboardsDir = fileURLToPath(new URL('../../../../monitoring/dashboards/', import.meta.url));

export interface PanelQuery {
  dashboard: string;
  panel: string;
  expr: string;
}

interface DashboardJson {
  uid: string;
  title: string;
  templating: { list: Array<{ name: string; type: string }> };
  panels: Array<{ type: string; title: string; datasource?: { uid: string }; targets?: Array<{ expr: string; datasource?: { uid: string } }> }>;
}

export function readDashboards(): Map<string, DashboardJson> {
  const files = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json')).sort();
  return new Map(files.map((f) => [f, JSON.parse(readFileSync(`${dashboardsDir}${f}`, 'utf8')) as DashboardJson]));
}

/** Every query of every panel, as written (with Grafana variables). */
export function panelQueries(): PanelQuery[] {
  const queries: PanelQuery[] = [];
  for (const [file, dashboard] of readDashboards()) {
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) queries.push({ dashboard: file, panel: panel.title, expr: target.expr });
    }
  }
  return queries;
}

/** The query with Grafana's variables replaced as Grafana would for one namespace and every pod and service. */
export function substitute(expr: string, namespace: string, rateInterval = '1m'): string {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$namespace', namespace)
    .replaceAll('$pod', '.*')
    .replaceAll('$service', '.*');
}

/** The chatorbit_ metric names a query reads. */
export function metricsIn(expr: string): string[] {
  return [...new Set(expr.match(/\bchatorbit_[a-z0-9_]+/g) ?? [])];
}
