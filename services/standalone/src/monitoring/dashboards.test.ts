import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dashboardFiles } from './dashboards.ts';
import { dashboardsDir, metricsIn, panelQueries, readDashboards } from './panels.ts';
import { readFileSync } from 'node:fs';

describe('Grafana dashboards (monitoring/dashboards)', () => {
  it('are the files `pnpm dashboards` writes (no hand edits lost, none missing)', () => {
    const expected = dashboardFiles();
    expect(readdirSync(dashboardsDir).filter((f) => f.endsWith('.json')).sort()).toEqual([...expected.keys()].sort());
    for (const [file, content] of expected) expect(readFileSync(`${dashboardsDir}${file}`, 'utf8'), `${file} is stale: run pnpm dashboards`).toBe(content);
  });

  it('cover overview, chat fan-out, moderation, persistence and HTTP by service, each with a unique uid', () => {
    const dashboards = [...readDashboards().values()];
    expect(dashboards.map((d) => d.uid).sort()).toEqual(['chatorbit-chat-fanout', 'chatorbit-http', 'chatorbit-moderation', 'chatorbit-overview', 'chatorbit-persistence']);
  });

  it.each([...readDashboards()].map(([file, d]) => [file, d] as const))('%s is templated on datasource, namespace and pod, and every panel uses them', (_file, dashboard) => {
    const variables = dashboard.templating.list;
    expect(variables.find((v) => v.name === 'datasource')?.type).toBe('datasource');
    expect(variables.map((v) => v.name)).toEqual(expect.arrayContaining(['namespace', 'pod']));
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(3);
    for (const panel of panels) {
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid).toBe('${datasource}');
        // Every selector of a chatorbit_ series is filtered by namespace and pod.
        for (const selector of target.expr.match(/chatorbit_[a-z0-9_]+\{[^}]*\}/g) ?? []) {
          expect(selector, panel.title).toContain('namespace="$namespace"');
          expect(selector, panel.title).toContain('pod=~"$pod"');
        }
        expect(target.expr.match(/\bchatorbit_[a-z0-9_]+(?!\{)\b(?![a-z0-9_{])/g), `${panel.title}: a chatorbit_ series without a selector`).toBeNull();
        // Never a room, user or message id.
        expect(target.expr).not.toMatch(/\b(room|user|userId|message|nonce)\b/);
      }
    }
  });

  it('read only chatorbit_ metrics (plus nothing unknown)', () => {
    for (const q of panelQueries()) expect(metricsIn(q.expr).length, `${q.dashboard} / ${q.panel}`).toBeGreaterThan(0);
  });
});
