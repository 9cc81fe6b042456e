import type { BenchOptions, ScenarioName } from '../options.ts';
import type { RunResult } from '../results.ts';
import type { Connected, Session } from './session.ts';
import type { Topology } from './topology.ts';

export interface Scenario {
  name: ScenarioName;
  /** The sockets and rooms at this scale; params are what the report shows about them. */
  setup(options: BenchOptions): { topology: Topology; params: Record<string, number>; capped?: string };
  run(session: Session, connected: Connected): Promise<Pick<RunResult, 'measurement' | 'steps' | 'maxRateHeld' | 'idle'>>;
}

export const scaled = (n: number, scale: number, min: number) => Math.max(min, Math.round(n * scale));

export function warmupMs(options: BenchOptions): number {
  return Math.min(2000, Math.max(500, options.durationMs * 0.2));
}

export const DRAIN_MS = 5000;
