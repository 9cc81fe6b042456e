import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { peerNames, type PeerName } from './loadgen/protocol.ts';

export const scenarioNames = ['big-room', 'hot-room', 'many-rooms', 'idle'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BenchOptions {
  scale: number;
  scenarios: ScenarioName[];
  peers: PeerName[];
  /** Measurement window of each scenario (each hot-room step lasts half of it). */
  durationMs: number;
  /** Runs of each scenario × peer; the report shows medians. */
  repeat: number;
  out: string;
  nodes: number;
  workers: number;
  samplers: number;
  textBytes: number;
  p99LimitMs: number;
  /** Cap on idle connections before scaling (the fd limit may lower it further). */
  idleConnections: number;
  chatMain: string;
  chatEnv: Record<string, string>;
  mongoUrl?: string;
}

export const USAGE = `usage: pnpm bench [options]
  --scale <f>            scenario sizes × f (default 1: the sizes of the issue)
  --scenario <list>      ${scenarioNames.join(',')} (default: all)
  --peer <list>          ${peerNames.join(',')} (default: both)
  --duration <t>         measurement window per scenario, e.g. 10s, 500ms, 1m (default 10s)
  --repeat <n>           run everything n times, peers alternating first; report medians (default 1)
  --out <dir>            where <timestamp>.json and .svg go (default bench/results)
  --nodes <n>            server processes per peer (default 2)
  --workers <n>          load-generator processes (default 3: one publishes, the others receive)
  --samplers <n>         sockets that parse every message for latency and continuity (default 50)
  --text-bytes <n>       message text size (default 150)
  --p99-limit <ms>       hot-room: a step holds while p99 stays at or under this (default 100)
  --idle-connections <n> idle scenario size before --scale (default 20000)
  --chat-main <path>     the chat service entry point (default services/chat/src/main.ts)
  --chat-env K=V         extra environment for chat nodes (repeatable), e.g. BATCH_WINDOW_MS=0
  --mongo-url <url>      chat nodes store messages in this MongoDB (database bench_<timestamp>,
                         dropped afterwards); default: the in-memory log`;

/** `10s`, `1500ms`, `2m`, or a bare number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`bad duration ${JSON.stringify(text)}: use e.g. 10s, 500ms, 2m`);
  const value = Number(m[1]);
  return Math.round(m[2] === 'ms' ? value : m[2] === 'm' ? value * 60_000 : value * 1000);
}

function list<T extends string>(text: string | undefined, allowed: readonly T[], what: string): T[] {
  if (text === undefined) return [...allowed];
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`unknown ${what} ${JSON.stringify(item)}: one of ${allowed.join(', ')}`);
  }
  return [...new Set(items)] as T[];
}

function number(text: string | undefined, fallback: number, what: string, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) throw new Error(`--${what} must be a number ≥ ${min}, got ${JSON.stringify(text)}`);
  return value;
}

/** Parses argv; throws with a message fit for the user on a bad option. Undefined means --help. */
export function parseOptions(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      scale: { type: 'string' },
      scenario: { type: 'string' },
      peer: { type: 'string' },
      duration: { type: 'string' },
      repeat: { type: 'string' },
      out: { type: 'string' },
      nodes: { type: 'string' },
      workers: { type: 'string' },
      samplers: { type: 'string' },
      'text-bytes': { type: 'string' },
      'p99-limit': { type: 'string' },
      'idle-connections': { type: 'string' },
      'chat-main': { type: 'string' },
      'chat-env': { type: 'string', multiple: true },
      'mongo-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const chatEnv: Record<string, string> = {};
  for (const pair of values['chat-env'] ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--chat-env wants KEY=VALUE, got ${JSON.stringify(pair)}`);
    chatEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const durationMs = values.duration === undefined ? 10_000 : parseDuration(values.duration);
  if (durationMs < 1000) throw new Error('--duration must be at least 1s');
  const textBytes = number(values['text-bytes'], 150, 'text-bytes', 60);
  if (textBytes > 500) throw new Error('--text-bytes must be at most 500 (the longest text ChatOrbit accepts by default)');
  const mongoUrl = values['mongo-url'];
  if (mongoUrl !== undefined && !/^mongodb(\+srv)?:\/\//.test(mongoUrl)) throw new Error('--mongo-url must start with mongodb://');
  return {
    scale: number(values.scale, 1, 'scale', 0.001),
    scenarios: list(values.scenario, scenarioNames, 'scenario'),
    peers: list(values.peer, peerNames, 'peer'),
    durationMs,
    repeat: Math.round(number(values.repeat, 1, 'repeat', 1)),
    out: resolve(values.out ?? resolve(REPO_ROOT, 'bench/results')),
    nodes: number(values.nodes, 2, 'nodes', 1),
    workers: number(values.workers, 3, 'workers', 1),
    samplers: number(values.samplers, 50, 'samplers', 1),
    textBytes,
    p99LimitMs: number(values['p99-limit'], 100, 'p99-limit', 1),
    idleConnections: number(values['idle-connections'], 20_000, 'idle-connections', 1),
    chatMain: resolve(values['chat-main'] ?? resolve(REPO_ROOT, 'services/chat/src/main.ts')),
    chatEnv,
    ...(mongoUrl ? { mongoUrl } : {}),
  };
}
