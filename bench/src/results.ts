import type { PeerName } from './loadgen/protocol.ts';
import type { ScenarioName } from './options.ts';
import type { Measurement } from './scenarios/measure.ts';

export interface HotRoomStep {
  rate: number;
  held: boolean;
  /** Why the step did not hold. */
  why?: string;
  measurement: Measurement;
}

export interface IdleResult {
  rssBeforeMb: number;
  rssAfterMb: number;
  kbPerConnection: number;
  /** Server CPU spent connecting, authenticating and joining, per 1,000 connections. */
  cpuMsPer1kConnections: number;
  connectsPerSec: number;
  /** Server CPU while the connections sit idle, % of one core. */
  idleCpuPercent: number;
  /** Why the connection count is below the requested one, if it is. */
  capped?: string;
}

/** One scenario against one peer. */
export interface RunResult {
  scenario: ScenarioName;
  peer: PeerName;
  label: string;
  params: Record<string, number>;
  connections: number;
  connectSeconds: number;
  /** The figures of the scenario; for hot-room, those of the highest step held. */
  measurement?: Measurement;
  steps?: HotRoomStep[];
  maxRateHeld?: number | null;
  idle?: IdleResult;
  error?: string;
  seconds: number;
  /** With --repeat: every run; the figures above are their medians. */
  repeats?: RunResult[];
}

export interface BenchReport {
  startedAt: string;
  seconds: number;
  machine: { cpus: number; cpuModel: string; memGb: number; node: string; nofile: number };
  /** The chat service benched; commit null when its main.ts is not in a git checkout. */
  chat: { main: string; commit: string | null; changedServiceFiles: number | null };
  options: Record<string, unknown>;
  runs: RunResult[];
}
