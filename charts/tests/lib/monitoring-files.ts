// The chart's copies of monitoring/ (the alert rules and the Grafana dashboards): helm can only read
// files inside the chart directory, so charts/chatorbit/files/monitoring/ holds byte-for-byte
// copies that the PrometheusRule and the dashboard ConfigMaps are made from. `pnpm dashboards`
// (after writing the dashboards) and `pnpm chart:monitoring` run this file to refresh them; a test
// fails when they are stale.
//
//   node charts/tests/lib/monitoring-files.ts
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHART, REPO } from './tools.ts';

export const MONITORING_SOURCE = join(REPO, 'monitoring');
export const MONITORING_COPY = join(CHART, 'files/monitoring');

/** Path under monitoring/ (and under the chart's files/monitoring/) → content the copy must have. */
export function monitoringSources(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('alerts.rules.yaml', readFileSync(join(MONITORING_SOURCE, 'alerts.rules.yaml'), 'utf8'));
  for (const file of readdirSync(join(MONITORING_SOURCE, 'dashboards')).filter((f) => f.endsWith('.json')).sort()) {
    files.set(`dashboards/${file}`, readFileSync(join(MONITORING_SOURCE, 'dashboards', file), 'utf8'));
  }
  return files;
}

/** Every file under the chart's files/monitoring/ except its README, relative to it. */
export function monitoringCopies(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name !== 'README.md') files.set(relative(MONITORING_COPY, path), readFileSync(path, 'utf8'));
    }
  };
  walk(MONITORING_COPY);
  return files;
}

/** Replaces the copies with the current sources (files that left monitoring/ leave the chart too). */
export function writeMonitoringCopies(): number {
  rmSync(join(MONITORING_COPY, 'dashboards'), { recursive: true, force: true });
  const sources = monitoringSources();
  for (const [path, content] of sources) {
    mkdirSync(join(MONITORING_COPY, path, '..'), { recursive: true });
    writeFileSync(join(MONITORING_COPY, path), content);
  }
  return sources.size;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = writeMonitoringCopies();
  process.stdout.write(`copied ${count} files from monitoring/ to ${relative(REPO, MONITORING_COPY)}/\n`);
}
