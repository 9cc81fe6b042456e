import type { BenchReport, RunResult } from '../results.ts';
import { fmt, int, PEER_LABEL, ratio } from './format.ts';

function render(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const TRAFFIC_HEADER = [
  'scenario', 'peer', 'conns', 'in msg/s', 'delivered/s', 'deliv %', 'p50 ms', 'p95 ms', 'p99 ms',
  'CPU ms/1k', 'srv CPU %', 'kernel %', 'redis ms/1k', 'RSS MB', 'lg CPU %', 'box CPU %',
];
const IDLE_HEADER = ['scenario', 'peer', 'conns', 'RSS before MB', 'RSS after MB', 'KB/conn', 'CPU ms/1k conn', 'conn/s', 'idle CPU %'];

function trafficRow(r: RunResult): string[] {
  const m = r.measurement;
  if (!m) return [r.scenario, PEER_LABEL[r.peer], int(r.connections), ...Array<string>(TRAFFIC_HEADER.length - 3).fill('-')];
  const rateIn = r.scenario === 'hot-room' ? (r.maxRateHeld ?? null) : m.rateIn;
  return [
    r.scenario, PEER_LABEL[r.peer], int(r.connections), int(rateIn), int(m.deliveredPerSec), fmt(m.deliveredRatio * 100, 4),
    fmt(m.latencyMs.p50), fmt(m.latencyMs.p95), fmt(m.latencyMs.p99),
    fmt(m.serverCpuMsPer1k), fmt(m.serverCpuPercent), m.serverSystemShare === null ? '-' : int(m.serverSystemShare * 100),
    fmt(m.redisCpuMsPer1k), fmt(m.serverRssMb),
    int(m.loadgenCpuPercent), int(m.machineCpuPercent),
  ];
}

function trafficRatio(a: RunResult, b: RunResult): string[] {
  const x = a.measurement!;
  const y = b.measurement!;
  const rateIn = a.scenario === 'hot-room' ? ratio(a.maxRateHeld, b.maxRateHeld) : '';
  return [
    '', 'ChatOrbit/Socket.IO', '', rateIn, ratio(x.deliveredPerSec, y.deliveredPerSec), '',
    ratio(x.latencyMs.p50, y.latencyMs.p50), ratio(x.latencyMs.p95, y.latencyMs.p95), ratio(x.latencyMs.p99, y.latencyMs.p99),
    ratio(x.serverCpuMsPer1k, y.serverCpuMsPer1k), ratio(x.serverCpuPercent, y.serverCpuPercent), '',
    ratio(x.redisCpuMsPer1k, y.redisCpuMsPer1k), ratio(x.serverRssMb, y.serverRssMb), '', '',
  ];
}

function idleRow(r: RunResult): string[] {
  const i = r.idle;
  if (!i) return [r.scenario, PEER_LABEL[r.peer], int(r.connections), ...Array<string>(6).fill('-')];
  return [
    r.scenario, PEER_LABEL[r.peer], int(r.connections), fmt(i.rssBeforeMb), fmt(i.rssAfterMb), fmt(i.kbPerConnection),
    fmt(i.cpuMsPer1kConnections), int(i.connectsPerSec), fmt(i.idleCpuPercent, 2),
  ];
}

function idleRatio(a: RunResult, b: RunResult): string[] {
  const x = a.idle!;
  const y = b.idle!;
  return [
    '', 'ChatOrbit/Socket.IO', '', '', ratio(x.rssAfterMb, y.rssAfterMb), ratio(x.kbPerConnection, y.kbPerConnection),
    ratio(x.cpuMsPer1kConnections, y.cpuMsPer1kConnections), ratio(x.connectsPerSec, y.connectsPerSec), '',
  ];
}

function withRatios(runs: RunResult[], row: (r: RunResult) => string[], ratioRow: (a: RunResult, b: RunResult) => string[], has: (r: RunResult) => boolean) {
  const rows: string[][] = [];
  for (const scenario of [...new Set(runs.map((r) => r.scenario))]) {
    const mine = runs.filter((r) => r.scenario === scenario);
    rows.push(...mine.map(row));
    const a = mine.find((r) => r.peer === 'chatorbit');
    const b = mine.find((r) => r.peer === 'socketio');
    if (a && b && has(a) && has(b)) rows.push(ratioRow(a, b));
  }
  return rows;
}

/** The plain-text report: a traffic table, an idle table, hot-room steps and errors. */
export function formatTables(report: BenchReport): string {
  const out: string[] = [];
  const repeat = (report.options as { repeat?: number }).repeat ?? 1;
  if (repeat > 1) out.push(`Every figure is the median of ${repeat} runs (each run is in the JSON).`);
  const traffic = report.runs.filter((r) => r.scenario !== 'idle');
  const idle = report.runs.filter((r) => r.scenario === 'idle');
  if (traffic.length > 0) out.push(render(TRAFFIC_HEADER, withRatios(traffic, trafficRow, trafficRatio, (r) => Boolean(r.measurement))));
  if (idle.length > 0) out.push(render(IDLE_HEADER, withRatios(idle, idleRow, idleRatio, (r) => Boolean(r.idle))));
  for (const r of report.runs.filter((x) => x.scenario === 'hot-room')) {
    const lines = [`hot-room ${PEER_LABEL[r.peer]}: highest rate held ${int(r.maxRateHeld)} msg/s${r.repeats ? ` (median of ${r.repeats.length} runs)` : ''}`];
    for (const [i, run] of (r.repeats ?? [r]).entries()) {
      if (r.repeats) lines.push(`  run ${i + 1}:`);
      for (const s of run.steps ?? []) {
        const m = s.measurement;
        lines.push(`  ${int(s.rate).padStart(6)}/s  p99 ${fmt(m.latencyMs.p99).padStart(5)} ms  CPU ${fmt(m.serverCpuMsPer1k).padStart(5)} ms/1k  box ${int(m.machineCpuPercent).padStart(3)} %  ${s.held ? 'held' : `✗ ${s.why}`}`);
      }
    }
    out.push(lines.join('\n'));
  }
  for (const r of report.runs) {
    if (r.idle?.capped) out.push(`idle ${PEER_LABEL[r.peer]}: ${r.idle.capped}`);
    const m = r.measurement;
    if (m && (m.gaps || m.reorders || m.sendErrors || m.dropped || m.behind)) {
      out.push(`${r.scenario} ${PEER_LABEL[r.peer]}: gaps ${m.gaps}, reorders ${m.reorders}, refused sends ${m.sendErrors}, dropped sockets ${m.dropped} ${JSON.stringify(m.closeCodes)}, publisher behind by ${m.behind}`);
    }
    if (r.error) out.push(`${r.scenario} ${PEER_LABEL[r.peer]} FAILED: ${r.error.split('\n')[0]}`);
  }
  return out.join('\n\n');
}
