import type { RunResult } from './results.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The median of every number at the same place in the values; anything else from the first. */
export function medianDeep(values: unknown[]): unknown {
  const present = values.filter((v) => v !== undefined && v !== null);
  if (present.length === 0) return values[0];
  if (present.every((v) => typeof v === 'number')) return median(present as number[]);
  if (present.every((v) => Array.isArray(v))) {
    const arrays = present as unknown[][];
    const length = Math.min(...arrays.map((a) => a.length));
    return Array.from({ length }, (_, i) => medianDeep(arrays.map((a) => a[i])));
  }
  if (present.every((v) => typeof v === 'object' && !Array.isArray(v))) {
    const objects = present as Record<string, unknown>[];
    const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
    return Object.fromEntries(keys.map((k) => [k, medianDeep(objects.map((o) => o[k]))]));
  }
  return present[0];
}

/**
 * One result from several runs of the same scenario and peer: each figure is the median of the
 * runs that completed (so one disturbed run on a shared machine does not decide a column); the
 * runs themselves are kept in `repeats`. Hot-room: the lower median of the highest rates held,
 * with the medians of the steps at that rate.
 */
export function combineRuns(runs: RunResult[]): RunResult {
  if (runs.length === 1) return runs[0]!;
  const ok = runs.filter((r) => !r.error);
  const errors = runs.filter((r) => r.error).map((r) => r.error!);
  const base = runs[0]!;
  const combined: RunResult = {
    scenario: base.scenario,
    peer: base.peer,
    label: base.label,
    params: base.params,
    connections: ok.length ? (medianDeep(ok.map((r) => r.connections)) as number) : 0,
    connectSeconds: ok.length ? (medianDeep(ok.map((r) => r.connectSeconds)) as number) : 0,
    seconds: runs.reduce((s, r) => s + r.seconds, 0),
    repeats: runs,
  };
  if (ok.some((r) => r.steps)) {
    // A rate some run really stepped at (the lower median), and the medians of every run's step at it.
    const held = ok.map((r) => r.maxRateHeld ?? 0).sort((a, b) => a - b);
    const rate = held[Math.floor((held.length - 1) / 2)]!;
    combined.maxRateHeld = rate || null;
    const at = rate || ok[0]!.steps![0]!.rate;
    combined.measurement = medianDeep(ok.flatMap((r) => r.steps!.filter((s) => s.rate === at).map((s) => s.measurement))) as RunResult['measurement'];
  } else if (ok.some((r) => r.measurement)) {
    combined.measurement = medianDeep(ok.map((r) => r.measurement)) as RunResult['measurement'];
  }
  if (ok.some((r) => r.idle)) combined.idle = medianDeep(ok.map((r) => r.idle)) as RunResult['idle'];
  if (errors.length) combined.error = `${errors.length} of ${runs.length} runs failed: ${errors[0]}`;
  return combined;
}
