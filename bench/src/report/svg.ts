import type { PeerName } from '../loadgen/protocol.ts';
import type { BenchReport, RunResult } from '../results.ts';
import { fmt, PEER_LABEL } from './format.ts';

const COLORS: Record<PeerName, string> = { chatorbit: '#2b6cb0', socketio: '#dd6b20' };
const PANEL_W = 440;
const PANEL_H = 250;
const MARGIN = { top: 40, right: 16, bottom: 36, left: 56 };

interface Panel {
  title: string;
  value: (r: RunResult) => number | null | undefined;
}

/** In the CPU and latency panels hot-room shows the highest step held, which may differ by peer. */
const groupNote = (scenario: string, p: Panel) => (scenario === 'hot-room' && p !== PANELS[2] ? 'at the highest rate held' : '');

const tick = (v: number) => Number(v.toPrecision(6)).toLocaleString('en-US');

const PANELS: Panel[] = [
  { title: 'Server CPU ms per 1,000 deliveries (lower is better)', value: (r) => (r.scenario === 'idle' ? undefined : r.measurement?.serverCpuMsPer1k) },
  { title: 'p99 publish→receive latency, ms (lower is better)', value: (r) => (r.scenario === 'idle' ? undefined : r.measurement?.latencyMs.p99) },
  { title: 'Hot room: highest rate held, msg/s (higher is better)', value: (r) => (r.scenario === 'hot-room' ? r.maxRateHeld : undefined) },
  { title: 'Idle: server memory per connection, KB (lower is better)', value: (r) => r.idle?.kbPerConnection },
];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** 1, 2 or 5 × 10^k, the smallest such step giving at most 4 gridlines up to max. */
function niceStep(max: number): number {
  const raw = max / 4;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
}

function panel(p: Panel, runs: RunResult[], peers: PeerName[], x0: number, y0: number): string {
  const groups = [...new Set(runs.map((r) => r.scenario))]
    .map((scenario) => ({ scenario, bars: peers.map((peer) => ({ peer, value: p.value(runs.find((r) => r.scenario === scenario && r.peer === peer)!) ?? null })) }))
    .filter((g) => g.bars.some((b) => b.value !== null && b.value !== undefined));
  const plotW = PANEL_W - MARGIN.left - MARGIN.right;
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom;
  const out = [`<text x="${x0 + 8}" y="${y0 + 20}" class="title">${esc(p.title)}</text>`];
  if (groups.length === 0) {
    out.push(`<text x="${x0 + PANEL_W / 2}" y="${y0 + PANEL_H / 2}" class="note" text-anchor="middle">not measured in this run</text>`);
    return out.join('\n');
  }
  const max = Math.max(...groups.flatMap((g) => g.bars.map((b) => b.value ?? 0)), 1e-9);
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const y = (v: number) => y0 + MARGIN.top + plotH - (v / top) * plotH;
  for (let v = 0; v <= top + step / 2; v += step) {
    out.push(`<line x1="${x0 + MARGIN.left}" x2="${x0 + MARGIN.left + plotW}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`);
    out.push(`<text x="${x0 + MARGIN.left - 6}" y="${y(v) + 4}" class="tick" text-anchor="end">${tick(v)}</text>`);
  }
  const groupW = plotW / groups.length;
  const barW = Math.min(48, (groupW * 0.7) / peers.length);
  groups.forEach((g, gi) => {
    const gx = x0 + MARGIN.left + gi * groupW + (groupW - barW * peers.length) / 2;
    g.bars.forEach((b, bi) => {
      const bx = gx + bi * barW;
      if (b.value === null || b.value === undefined) {
        out.push(`<text x="${bx + barW / 2}" y="${y(0) - 4}" class="note" text-anchor="middle">n/a</text>`);
        return;
      }
      out.push(`<rect x="${bx + 2}" y="${y(b.value)}" width="${barW - 4}" height="${y(0) - y(b.value)}" fill="${COLORS[b.peer]}"/>`);
      out.push(`<text x="${bx + barW / 2}" y="${y(b.value) - 4}" class="value" text-anchor="middle">${fmt(b.value)}</text>`);
    });
    const cx = x0 + MARGIN.left + gi * groupW + groupW / 2;
    out.push(`<text x="${cx}" y="${y0 + PANEL_H - 18}" class="label" text-anchor="middle">${esc(g.scenario)}</text>`);
    const note = groupNote(g.scenario, p);
    if (note) out.push(`<text x="${cx}" y="${y0 + PANEL_H - 5}" class="note" text-anchor="middle">${esc(note)}</text>`);
  });
  return out.join('\n');
}

/** A 2×2 grid of grouped bar charts, ChatOrbit next to Socket.IO per scenario. */
export function renderSvg(report: BenchReport): string {
  const peers = [...new Set(report.runs.map((r) => r.peer))];
  const width = PANEL_W * 2;
  const head = 56;
  const height = head + PANEL_H * 2;
  const o = report.options as { scale?: number; durationMs?: number; nodes?: number; repeat?: number };
  const medians = (o.repeat ?? 1) > 1 ? `, medians of ${o.repeat} runs` : '';
  const subtitle = `scale ${o.scale}, ${((o.durationMs ?? 0) / 1000).toFixed(1)} s windows${medians}, ${o.nodes} server processes per peer, ${report.startedAt}`;
  const legend = peers
    .map((p, i) => `<rect x="${width - 260 + i * 130}" y="14" width="12" height="12" fill="${COLORS[p]}"/><text x="${width - 242 + i * 130}" y="25" class="label">${PEER_LABEL[p]}</text>`)
    .join('\n');
  const panels = PANELS.map((p, i) => panel(p, report.runs, peers, (i % 2) * PANEL_W, head + Math.floor(i / 2) * PANEL_H));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<style>
.title { font-size: 13px; font-weight: 600; fill: #222; }
.label { font-size: 12px; fill: #333; }
.tick { font-size: 10px; fill: #666; }
.value { font-size: 10px; fill: #222; }
.note { font-size: 11px; fill: #888; }
.grid { stroke: #e2e2e2; stroke-width: 1; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="8" y="22" class="title" style="font-size:15px">ChatOrbit vs Socket.IO, loopback benchmark</text>
<text x="8" y="42" class="note">${esc(subtitle)}</text>
${legend}
${panels.join('\n')}
</svg>
`;
}
