// What every fault scenario reports, and the waits they share.
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '@chatorbit/shared/testing';
import type { LoadGenerator } from './loadgen/client.ts';
import type { Counts, Report } from './loadgen/protocol.ts';

export type Figure = number | string | boolean | null;

export interface Check {
  /** What must hold, e.g. "no acknowledged message lost". */
  name: string;
  ok: boolean;
  /** The measured value, when `name` does not say it. */
  detail?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** Processes and sizes. */
  setup: string;
  /** The load it ran under. */
  load: string;
  /** Every measured figure, machine-readable (also in the JSON). */
  figures: Record<string, Figure>;
  /** The figures that answer the scenario's question, in words (the table's column). */
  summary: string;
  /** Samples over time (JSON only), e.g. the soak's heap and RSS. */
  series?: { columns: string[]; rows: number[][] };
  /** Correctness expectations (no timing ones). */
  checks: Check[];
  /** Wall-clock seconds the scenario took. */
  seconds?: number;
  /** The machine while it ran: load average at the start, whole-box CPU % (all cores, everyone's). */
  machine?: { load1: number; boxCpuPct: number };
  /** The scenario could not finish: why. */
  error?: string;
}

export interface RunContext {
  /** A progress line (stderr). */
  log(line: string): void;
  /** A string no other run uses, for Redis prefixes and database names. */
  runId: string;
}

/**
 * A phase of a scenario: the load runs for this long by design (a scenario's clock, not a
 * wait for an event).
 */
export const phase = (ms: number) => delay(ms);

/** Waits until every message made has been acknowledged (publishers retry until it is). */
export async function allAcknowledged(lg: LoadGenerator, timeoutMs = 60_000): Promise<Report> {
  return waitFor(
    async () => {
      const r = await lg.report();
      return r.publishers.outstanding === 0 ? r : undefined;
    },
    { timeoutMs, intervalMs: 250, message: 'every message to be acknowledged' },
  );
}

/**
 * Waits until every viewer has reached the last acknowledged seq of its room; false (rather than
 * throwing) if some never do: the scenario reports it.
 */
export async function viewersCaughtUp(viewers: LoadGenerator[], lastSeqs: Record<string, { maxSeq: number }>, timeoutMs = 30_000): Promise<boolean> {
  try {
    await waitFor(
      async () => {
        for (const lg of viewers) {
          const { viewers: v } = await lg.report();
          if (v.joined < v.total) return false;
          for (const [room, { minLast }] of Object.entries(v.rooms)) if (minLast < (lastSeqs[room]?.maxSeq ?? 0)) return false;
        }
        return true;
      },
      { timeoutMs, intervalMs: 250, message: 'every viewer to reach its room\'s last seq' },
    );
    return true;
  } catch {
    return false;
  }
}

export const total = (counts: Counts) => Object.values(counts).reduce((a, b) => a + b, 0);

/** `{"1001": 3, "1006": 1}` as "1001×3, 1006×1" ("none" if empty). */
export const describeCounts = (counts: Counts) =>
  Object.keys(counts).length === 0 ? 'none' : Object.entries(counts).map(([k, v]) => `${k}×${v}`).join(', ');

/** Adds up viewer reports of several load generators. */
export function mergeViewers(reports: Report[]) {
  const sum = (f: (r: Report) => number) => reports.reduce((a, r) => a + f(r), 0);
  const counts = (f: (r: Report) => Counts) => {
    const out: Counts = {};
    for (const r of reports) for (const [k, v] of Object.entries(f(r))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    total: sum((r) => r.viewers.total),
    received: sum((r) => r.viewers.received),
    gaps: sum((r) => r.viewers.gaps),
    duplicates: sum((r) => r.viewers.duplicates),
    seqReused: sum((r) => r.viewers.seqReused),
    unrecovered: sum((r) => r.viewers.unrecovered),
    connectFailures: sum((r) => r.viewers.connectFailures),
    resumes: sum((r) => r.viewers.resumes),
    errorFrames: counts((r) => r.viewers.errorFrames),
    closes: counts((r) => r.viewers.closes),
    lastResumeAt: Math.max(0, ...reports.map((r) => r.viewers.lastResumeAt)),
  };
}

export const seconds = (ms: number) => Math.round(ms / 10) / 100;
export const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
