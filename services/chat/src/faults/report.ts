// The fault run's one table (Markdown, for the terminal and docs/RELIABILITY.md) and its JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ScenarioResult } from './scenario.ts';

export interface FaultReport {
  command: string;
  startedAt: string;
  finishedAt: string;
  commit: string | undefined;
  machine: { cores: number; memoryGb: number; load1AtStart: number; node: string; redis: string | undefined };
  results: ScenarioResult[];
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** One row per scenario: what ran, what was measured, whether the correctness checks held. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) => {
    const failed = r.checks.filter((c) => !c.ok);
    const checks = r.error
      ? `ERROR: ${r.error.split('\n', 1)[0]}`
      : r.checks.length === 0
        ? '—'
        : failed.length === 0
          ? `pass (${r.checks.length})`
          : `FAIL: ${failed.map((c) => (c.detail ? `${c.name} [${c.detail}]` : c.name)).join('; ')}`;
    const machine = r.machine ? `load ${r.machine.load1.toFixed(1)}, box CPU ${r.machine.boxCpuPct}%` : '';
    return `| ${cell(r.title)} | ${cell(`${r.setup}; ${r.load}`)} | ${cell(r.error ? '—' : r.summary)} | ${cell(checks)} | ${r.seconds ?? '—'} s, ${machine} |`;
  });
  return ['| scenario | setup and load | result | checks | took, machine |', '|---|---|---|---|---|', ...rows].join('\n');
}

export function writeJson(report: FaultReport, file: string) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
