import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { promtool } from './prometheus.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const rulesFile = `${root}monitoring/alerts.rules.yaml`;
const testsFile = `${root}monitoring/alerts.test.yaml`;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface RuleTest {
  name: string;
  alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }>;
}

const rules = (parse(readFileSync(rulesFile, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const tests = (parse(readFileSync(testsFile, 'utf8')) as { tests: RuleTest[] }).tests;

/** Runs promtool; resolves with its output, throws with it on a non-zero exit. */
function run(args: string[]): string {
  try {
    return execFileSync(promtool(), args, { cwd: `${root}monitoring`, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

describe('alert rules (monitoring/alerts.rules.yaml)', () => {
  it('pass `promtool check rules`', () => {
    expect(run(['check', 'rules', 'alerts.rules.yaml'])).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('pass their unit tests (`promtool test rules`)', () => {
    expect(run(['test', 'rules', 'alerts.test.yaml'])).toContain('SUCCESS');
  });

  it('covers what the issue asks for', () => {
    const names = rules.map((r) => r.alert);
    expect(names).toEqual(expect.arrayContaining([
      'ChatOrbitDeliveryLatencyHigh', 'ChatOrbitPersisterLagGrowing', 'ChatOrbitRedisFailover', 'ChatOrbitRedisNoMaster',
      'ChatOrbitMongoDBUnreachable', 'ChatOrbitHTTPErrorRate', 'ChatOrbitSendErrorRate', 'ChatOrbitRefusalRateHigh',
      'ChatOrbitSlowConsumersDisconnected', 'ChatOrbitPodNotReady',
    ]));
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s has a severity, a summary, a runbook section, and a firing and a quiet test case', (alert, rule) => {
    expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
    expect(rule.annotations.summary).toBeTruthy();
    expect(rule.annotations.description).toBeTruthy();
    expect(rule.annotations.runbook_url).toBe(`docs/RUNBOOKS.md#${alert.toLowerCase()}`);
    const runbooks = readFileSync(`${root}docs/RUNBOOKS.md`, 'utf8');
    expect(runbooks).toMatch(new RegExp(`^## ${alert}$`, 'm'));
    const cases = tests.flatMap((t) => t.alert_rule_test ?? []).filter((c) => c.alertname === alert);
    expect(cases.some((c) => c.exp_alerts.length > 0), `a case where ${alert} fires`).toBe(true);
    expect(cases.some((c) => c.exp_alerts.length === 0), `a case where ${alert} does not fire`).toBe(true);
  });

  it('never group by an id label', () => {
    for (const rule of rules) expect(rule.expr).not.toMatch(/\b(room|user|userId|message|nonce)\b/);
  });
});
